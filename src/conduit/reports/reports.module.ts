import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConduitArticle } from '../articles/conduit-article.entity';
import { Favorite } from '../articles/favorite.entity';
import { Comment } from '../comments/comment.entity';
import { User } from '../users/user.entity';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** Reports over the Conduit data, read on the analytics replica (docs/analytics.md). Served at /reports, outside /api. */
@Module({
  imports: [TypeOrmModule.forFeature([ConduitArticle, Comment, Favorite, User])],
  controllers: [ReportsController],
  providers: [ReportsService],
})
export class ReportsModule {}
