import { classifyGaleraError, isCertificationConflict, isNodeUnavailable } from './galera-error';

/** An error as mysql2 makes one from a server's error packet (packets/packet.js, asError). */
const serverError = (errno: number, sqlState: string, code?: string): Error => Object.assign(new Error(`server error ${errno}`), { errno, sqlState, code });
/** An error as mysql2 makes one when the connection fails or is lost: a code, `fatal`, no errno. */
const connectionError = (code?: string): Error => Object.assign(new Error(`connection error ${code}`), { code, fatal: true });

describe('classifyGaleraError', () => {
  it('should call 1213 / SQLSTATE 40001 a certification conflict, as Galera reports one at COMMIT', () => {
    expect(classifyGaleraError(serverError(1213, '40001', 'ER_LOCK_DEADLOCK'))).toBe('certification-conflict');
  });

  it('should call SQLSTATE 40001 a certification conflict whatever the errno', () => {
    expect(classifyGaleraError(serverError(1614, '40001'))).toBe('certification-conflict');
  });

  it.each([
    [1047, '08S01', 'ER_UNKNOWN_COM_ERROR'],
    [1927, '70100', undefined],
    [1053, '08S01', 'ER_SERVER_SHUTDOWN'],
  ])('should call %i (%s) node unavailable', (errno, sqlState, code) => {
    expect(classifyGaleraError(serverError(errno, sqlState, code))).toBe('node-unavailable');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST'])('should call a %s connection error node unavailable', (code) => {
    expect(classifyGaleraError(connectionError(code))).toBe('node-unavailable');
  });

  it('should call a fatal error with no errno node unavailable (a command on a closed connection)', () => {
    expect(classifyGaleraError(connectionError(undefined))).toBe('node-unavailable');
  });

  it.each([
    ['a duplicate key', serverError(1062, '23000', 'ER_DUP_ENTRY')],
    ['a lock wait timeout', serverError(1205, 'HY000', 'ER_LOCK_WAIT_TIMEOUT')],
    ['a syntax error', serverError(1064, '42000', 'ER_PARSE_ERROR')],
    ['a refused login, fatal with an errno', Object.assign(serverError(1045, '28000', 'ER_ACCESS_DENIED_ERROR'), { fatal: true })],
    ['an error of the code', new TypeError('x is undefined')],
    ['a string', 'failed'],
    ['null', null],
  ])('should call %s neither', (_, error) => {
    expect(classifyGaleraError(error)).toBe('other');
  });

  it("should read TypeORM's QueryFailedError through its driverError too", () => {
    const queryFailed = Object.assign(new Error('Deadlock found'), { driverError: serverError(1213, '40001') });

    expect(isCertificationConflict(queryFailed)).toBe(true);
    expect(isNodeUnavailable({ driverError: serverError(1047, '08S01') })).toBe(true);
  });
});
