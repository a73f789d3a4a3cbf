import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConduitArticlesModule } from '../articles/conduit-articles.module';
import { AuthModule } from '../auth/auth.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { Comment } from './comment.entity';
import { CommentsController } from './comments.controller';
import { CommentsService } from './comments.service';

/** Comments on articles. */
@Module({
  imports: [TypeOrmModule.forFeature([Comment]), AuthModule, ConduitArticlesModule, ProfilesModule],
  controllers: [CommentsController],
  providers: [CommentsService],
})
export class CommentsModule {}
