import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ObjectLiteral, Repository, SelectQueryBuilder } from 'typeorm';
import { ConduitArticle } from '../articles/conduit-article.entity';
import { Favorite } from '../articles/favorite.entity';
import { Comment } from '../comments/comment.entity';
import { User } from '../users/user.entity';
import { MonthlyActivity, MonthlyReportResponse } from './dto/monthly-report.dto';

type Counts = Omit<MonthlyActivity, 'month'>;
type MonthRow = { month: string } & Partial<Record<keyof Counts, string>>;

/** Reports over the example domain: aggregate scans, the kind of SQL an analytics replica is for. */
@Injectable()
export class ReportsService {
  constructor(
    @InjectRepository(ConduitArticle) private readonly articles: Repository<ConduitArticle>,
    @InjectRepository(Comment) private readonly comments: Repository<Comment>,
    @InjectRepository(Favorite) private readonly favorites: Repository<Favorite>,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  /** Activity per month (UTC) over the last `months`, the current one included. */
  async monthly(months: number): Promise<MonthlyReportResponse> {
    const since = firstDayOfMonthUtc(months - 1);
    // One statement at a time: the route's reads share the analytics replica's few connections with other reports.
    const rows = [
      ...(await this.perMonth(this.articles, 'article', since).addSelect('count(*)', 'articles').addSelect('count(DISTINCT article.author_id)', 'activeAuthors').getRawMany<MonthRow>()),
      ...(await this.perMonth(this.comments, 'comment', since).addSelect('count(*)', 'comments').getRawMany<MonthRow>()),
      ...(await this.perMonth(this.favorites, 'favorite', since).addSelect('count(*)', 'favorites').getRawMany<MonthRow>()),
      ...(await this.perMonth(this.users, 'conduit_user', since).addSelect('count(*)', 'newUsers').getRawMany<MonthRow>()),
    ];
    return { months: monthsFrom(since, months).map((month) => ({ month, ...zero(), ...countsOf(rows.filter((row) => row.month === month)) })) };
  }

  private perMonth<Entity extends ObjectLiteral>(repository: Repository<Entity>, alias: string, since: Date): SelectQueryBuilder<Entity> {
    // MariaDB's DATETIME holds UTC already (pointInTimeColumn).
    const month =
      repository.manager.connection.options.type === 'mariadb'
        ? `DATE_FORMAT(${alias}.created_at, '%Y-%m')`
        : `to_char(date_trunc('month', ${alias}.created_at AT TIME ZONE 'UTC'), 'YYYY-MM')`;
    return repository.createQueryBuilder(alias).select(month, 'month').where(`${alias}.created_at >= :since`, { since }).groupBy(month);
  }
}

const zero = (): Counts => ({ articles: 0, activeAuthors: 0, comments: 0, favorites: 0, newUsers: 0 });

function countsOf(rows: MonthRow[]): Partial<Counts> {
  const counts: Partial<Counts> = {};
  for (const row of rows) {
    for (const key of Object.keys(zero()) as (keyof Counts)[]) if (row[key] !== undefined) counts[key] = Number(row[key]);
  }
  return counts;
}

/** The first day (UTC) of the month `back` months before this one. */
export function firstDayOfMonthUtc(back: number, now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
}

/** `count` months as YYYY-MM, from `since`'s. */
export function monthsFrom(since: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth() + i, 1)).toISOString().slice(0, 7));
}
