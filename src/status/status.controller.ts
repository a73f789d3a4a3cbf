import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { StatusPage } from './status-page';
import { StatusPageGuard } from './status-page.guard';
import { TopologyView } from './topology-view';

@ApiTags('status')
@Controller('status')
@UseGuards(StatusPageGuard)
export class StatusController {
  constructor(
    private readonly page: StatusPage,
    private readonly view: TopologyView,
  ) {}

  /** The live topology page: DNS, nginx, the app servers, the primary, each replica's lag, Redis. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiOkResponse({ description: 'HTML page' })
  html(): string {
    return this.page.html;
  }

  @Get('status.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @ApiOkResponse({ description: "The page's script" })
  script(): string {
    return this.page.script;
  }

  /** This app server's view, which the page polls every second through nginx. */
  @Get('topology.json')
  @Header('Cache-Control', 'no-store')
  topology() {
    return this.view.snapshot();
  }
}
