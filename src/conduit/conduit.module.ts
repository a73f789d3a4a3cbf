import { Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ConduitArticlesModule } from './articles/conduit-articles.module';
import { AuthModule } from './auth/auth.module';
import { CommentsModule } from './comments/comments.module';
import { CONDUIT_PATH } from './conduit-path';
import { ProfilesModule } from './profiles/profiles.module';
import { ReportsModule } from './reports/reports.module';
import { TagsModule } from './tags/tags.module';
import { UsersModule } from './users/users.module';

const CONCEPTS = [AuthModule, UsersModule, ProfilesModule, TagsModule, ConduitArticlesModule, CommentsModule];

/**
 * The RealWorld "Conduit" API (realworld-docs.netlify.app), the example domain: one module per concept, every
 * route under /api (RouterModule puts the prefix on each concept's controllers). Its reports are not part of the
 * API: /reports, on the operators' port.
 */
@Module({
  imports: [...CONCEPTS, RouterModule.register([{ path: CONDUIT_PATH, children: CONCEPTS }]), ReportsModule],
})
export class ConduitModule {}
