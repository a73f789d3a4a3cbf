import { Module } from '@nestjs/common';
import { RecentReads } from './recent-reads';
import { StatusController } from './status.controller';
import { StatusPage } from './status-page';
import { StatusPageGuard } from './status-page.guard';
import { TopologyView } from './topology-view';

/** GET /status: a live picture of the topology, on unless NODE_ENV=production (STATUS_PAGE). */
@Module({
  controllers: [StatusController],
  providers: [RecentReads, TopologyView, StatusPage, StatusPageGuard],
  exports: [RecentReads],
})
export class StatusModule {}
