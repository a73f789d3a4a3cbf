import { AppConfig, InvalidConfigError, parseConfig } from './app-config';

/** Production refuses the public dev secrets: these stand in for an operator's own. */
const productionEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  CONSISTENCY_TOKEN_SECRET: 'operator-consistency-secret',
  DB_PASSWORD: 'operator-db-password',
  JWT_SECRET: 'operator-jwt-secret-of-at-least-32-chars',
  ...env,
});

describe('AppConfig', () => {
  it('should give every setting a default that fits the stack', () => {
    const config = parseConfig({});

    expect(config.DB_PRIMARY_HOST).toBe('db-primary');
    expect(config.DB_REPLICA_HOSTS).toEqual(['db-replica-1', 'db-replica-2']);
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.PORT).toBe(3000);
  });

  it('should read replicas as a comma-separated list of host or host:port, and an empty value as none', () => {
    expect(parseConfig({ DB_REPLICA_HOSTS: 'a, b:5433 ,' }).DB_REPLICA_HOSTS).toEqual(['a', 'b:5433']);
    expect(parseConfig({ DB_REPLICA_HOSTS: '' }).DB_REPLICA_HOSTS).toEqual([]);
  });

  it('should refuse an analytics replica that is also the primary or a replica, by host and port', () => {
    expect(() => parseConfig({ DB_REPLICA_HOSTS: 'db-replica-1,db-analytics:5432', DB_ANALYTICS_HOSTS: 'db-analytics' })).toThrow(/DB_ANALYTICS_HOSTS: db-analytics is also/);
    expect(() => parseConfig({ DB_PRIMARY_HOST: 'db-primary', DB_ANALYTICS_HOSTS: 'db-primary:5432' })).toThrow(/DB_ANALYTICS_HOSTS/);
    expect(parseConfig({ DB_REPLICA_HOSTS: 'db-replica-1', DB_ANALYTICS_HOSTS: 'db-replica-1:5433' }).DB_ANALYTICS_HOSTS).toEqual(['db-replica-1:5433']);
  });

  it('should refuse a Galera topology on PostgreSQL, and take it on MariaDB', () => {
    expect(() => parseConfig({ DB_TOPOLOGY: 'galera' })).toThrow(/DB_TOPOLOGY: galera needs DB_DIALECT=mariadb/);
    expect(parseConfig({ DB_TOPOLOGY: 'galera', DB_DIALECT: 'mariadb' }).DB_TOPOLOGY).toBe('galera');
  });

  it('should coerce numbers and flags from strings', () => {
    const config = parseConfig({ DB_POOL_MAX_REPLICA: '25', EXPOSE_DB_NODE: 'false' });

    expect(config.DB_POOL_MAX_REPLICA).toBe(25);
    expect(config.EXPOSE_DB_NODE).toBe(false);
  });

  it('should refuse to start naming every bad variable', () => {
    const parse = () => parseConfig({ PORT: 'eighty', REDIS_URL: 'http://x', DB_REPLICA_HOSTS: 'bad host' });

    expect(parse).toThrow(InvalidConfigError);
    expect(parse).toThrow(/PORT/);
    expect(parse).toThrow(/REDIS_URL/);
    expect(parse).toThrow(/DB_REPLICA_HOSTS/);
  });

  it('should expose X-DB-Node by default outside production only', () => {
    expect(AppConfig.fromEnv({ NODE_ENV: 'development' }).exposeDbNode).toBe(true);
    expect(AppConfig.fromEnv(productionEnv()).exposeDbNode).toBe(false);
    expect(AppConfig.fromEnv(productionEnv({ EXPOSE_DB_NODE: 'true' })).exposeDbNode).toBe(true);
  });

  it('should show the status page by default outside production only', () => {
    expect(AppConfig.fromEnv({ NODE_ENV: 'development' }).statusPage).toBe(true);
    expect(AppConfig.fromEnv(productionEnv()).statusPage).toBe(false);
    expect(AppConfig.fromEnv(productionEnv({ STATUS_PAGE: 'true' })).statusPage).toBe(true);
    expect(AppConfig.fromEnv({ NODE_ENV: 'development', STATUS_PAGE: 'off' }).statusPage).toBe(false);
  });

  it('should refuse to start in production with a secret at its public dev default, naming it', () => {
    const start = () => parseConfig({ NODE_ENV: 'production', CONSISTENCY_TOKEN_SECRET: 'operator-consistency-secret' });

    expect(start).toThrow(InvalidConfigError);
    expect(start).toThrow(/JWT_SECRET/);
    expect(start).not.toThrow(/CONSISTENCY_TOKEN_SECRET/);
  });

  it('should refuse the dev consistency token secret in production too', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'operator-jwt-secret-of-at-least-32-chars' })).toThrow(/CONSISTENCY_TOKEN_SECRET/);
  });

  it('should refuse the dev database password in production, naming it', () => {
    expect(() => parseConfig(productionEnv({ DB_PASSWORD: 'app-dev-password' }))).toThrow(/DB_PASSWORD/);
    expect(() => parseConfig(productionEnv({ DB_PASSWORD: 'operator-password' }))).not.toThrow();
  });

  it('should accept the dev secrets outside production', () => {
    expect(parseConfig({ NODE_ENV: 'development' }).JWT_SECRET).toMatch(/^dev-only-/);
  });

  it('should accept operator secrets in production', () => {
    expect(() => parseConfig(productionEnv())).not.toThrow();
  });
});
