import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TagsModule } from '../tags/tags.module';
import { ConduitArticle } from './conduit-article.entity';
import { ConduitArticlesController } from './conduit-articles.controller';
import { ConduitArticlesService } from './conduit-articles.service';
import { Favorite } from './favorite.entity';

/** Conduit articles, their lists and feed, and favourites (a favourite changes the article's favoritesCount). */
@Module({
  imports: [TypeOrmModule.forFeature([ConduitArticle, Favorite]), AuthModule, ProfilesModule, TagsModule],
  controllers: [ConduitArticlesController],
  providers: [ConduitArticlesService],
  exports: [ConduitArticlesService],
})
export class ConduitArticlesModule {}
