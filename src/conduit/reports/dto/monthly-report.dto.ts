import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInteger } from '../../../http/integer-text';

export const MONTHS_MAX = 36;

export class MonthlyReportQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MONTHS_MAX, default: 12, description: 'How many months, the current one included.' })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MONTHS_MAX)
  months: number = 12;
}

export class MonthlyActivity {
  @ApiProperty({ example: '2026-11', description: 'The month (UTC), as YYYY-MM.' }) month: string;
  @ApiProperty({ description: 'Articles published that month.' }) articles: number;
  @ApiProperty({ description: 'Users who published at least one of them.' }) activeAuthors: number;
  @ApiProperty({ description: 'Comments written that month.' }) comments: number;
  @ApiProperty({ description: 'Favourites given that month.' }) favorites: number;
  @ApiProperty({ description: 'Users who signed up that month.' }) newUsers: number;
}

export class MonthlyReportResponse {
  @ApiProperty({
    type: [MonthlyActivity],
    description: 'Oldest month first; a month with no activity has zeros. As of the analytics replica (X-DB-Node), whose lag /health/replication shows.',
  })
  months: MonthlyActivity[];
}
