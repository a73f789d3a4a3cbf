import { QueryFailedError } from 'typeorm';
import { violatedUniqueConstraint } from './unique-violation';

const failed = (driverError: object) => new QueryFailedError('INSERT INTO conduit_user …', [], Object.assign(new Error('driver error'), driverError));

describe('violatedUniqueConstraint', () => {
  it("should name PostgreSQL's violated constraint (SQLSTATE 23505)", () => {
    expect(violatedUniqueConstraint(failed({ code: '23505', constraint: 'conduit_user_email_key' }))).toBe('conduit_user_email_key');
  });

  it("should name MariaDB's violated key from ER_DUP_ENTRY's message (1062)", () => {
    const error = failed({ code: 'ER_DUP_ENTRY', errno: 1062, sqlMessage: "Duplicate entry 'ada' for key 'conduit_user_username_key'" });

    expect(violatedUniqueConstraint(error)).toBe('conduit_user_username_key');
  });

  it('should name the key when the message also names its table (MySQL 8), and when the value holds a quote', () => {
    expect(violatedUniqueConstraint(failed({ errno: 1062, sqlMessage: "Duplicate entry 'a@b' for key 'conduit_user.conduit_user_email_key'" }))).toBe('conduit_user_email_key');
    expect(violatedUniqueConstraint(failed({ errno: 1062, sqlMessage: "Duplicate entry 'o'for key 'x'' for key 'conduit_article_slug_key'" }))).toBe('conduit_article_slug_key');
  });

  it('should name the primary key of a duplicate row on MariaDB', () => {
    expect(violatedUniqueConstraint(failed({ errno: 1062, sqlMessage: "Duplicate entry '1-2' for key 'PRIMARY'" }))).toBe('PRIMARY');
  });

  it('should answer undefined for other failures of either database, and for errors that are not failed queries', () => {
    expect(violatedUniqueConstraint(failed({ code: '23503', constraint: 'conduit_follow_follower_id_fkey' }))).toBeUndefined();
    expect(violatedUniqueConstraint(failed({ code: 'ER_NO_REFERENCED_ROW_2', errno: 1452, sqlMessage: 'Cannot add or update a child row' }))).toBeUndefined();
    expect(violatedUniqueConstraint(new Error("Duplicate entry 'x' for key 'conduit_user_email_key'"))).toBeUndefined();
  });
});
