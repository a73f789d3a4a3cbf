import { shortNodeName, table } from './report';

describe('shortNodeName', () => {
  it('should shorten the node names of X-DB-Node, also when a request used two', () => {
    expect(shortNodeName('db-replica-2')).toBe('r2');
    expect(shortNodeName('db-replica-1, db-primary')).toBe('r1+p');
    expect(shortNodeName('none')).toBe('none');
  });
});

describe('table', () => {
  it('should pad each column to its widest cell, numbers to the right and words to the left', () => {
    const text = table(['variant', 'req/s'], [['app', '950'], ['pg-ceiling', '3716']]);

    expect(text.split('\n')).toEqual(['variant     req/s', '----------  -----', 'app           950', 'pg-ceiling   3716']);
  });
});
