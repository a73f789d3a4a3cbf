import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Consistency } from '../../database/consistency';
import { MonthlyReportQuery, MonthlyReportResponse } from './dto/monthly-report.dto';
import { ReportsService } from './reports.service';

/**
 * Reports, on the operators' port only (nginx/conf.d/api.conf): not part of the Conduit API, and each may hold an
 * analytics replica's connection for minutes.
 */
@ApiTags('Reports')
@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('monthly')
  @Consistency('analytics')
  @ApiOperation({ operationId: 'GetMonthlyReport', summary: 'Activity per month, read on the analytics replica' })
  @ApiOkResponse({ type: MonthlyReportResponse })
  @ApiServiceUnavailableResponse({ description: 'Neither an analytics replica nor a replica can take the report now (Retry-After).' })
  monthly(@Query() query: MonthlyReportQuery): Promise<MonthlyReportResponse> {
    return this.reports.monthly(query.months);
  }
}
