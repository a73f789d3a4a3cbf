import 'reflect-metadata';
import { getMetadataArgsStorage } from 'typeorm';
import { ENTITY_DIALECT, GeneratedIdColumn, pointInTimeColumn } from './column-types';

const generatedColumnOf = (dialect: 'postgres' | 'mariadb') => {
  class Row {
    id: number;
  }
  GeneratedIdColumn(dialect)(Row.prototype, 'id');
  return getMetadataArgsStorage().generations.find((generation) => generation.target === Row);
};

describe('column types per dialect', () => {
  it('should declare the entities for PostgreSQL when DB_DIALECT is unset (as in these tests)', () => {
    expect(ENTITY_DIALECT).toBe('postgres');
  });

  it('should store a point in time as timestamptz on PostgreSQL and as datetime(6) on MariaDB', () => {
    expect(pointInTimeColumn('postgres')).toEqual({ type: 'timestamptz' });
    expect(pointInTimeColumn('mariadb')).toEqual({ type: 'datetime', precision: 6 });
  });

  it('should generate ids as an identity column on PostgreSQL and with AUTO_INCREMENT (increment) on MariaDB', () => {
    expect(generatedColumnOf('postgres')?.strategy).toBe('identity');
    expect(generatedColumnOf('mariadb')?.strategy).toBe('increment');
  });
});
