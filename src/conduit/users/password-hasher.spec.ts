import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('should store scrypt with its cost and a salt, never the password', async () => {
    const stored = await hasher.hash('correct horse battery');

    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(stored).not.toContain('correct horse battery');
  });

  it('should salt each hash: one password, two hashes', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('should accept the password and refuse any other', async () => {
    const stored = await hasher.hash('correct horse battery');

    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse batterY', stored)).toBe(false);
    expect(await hasher.verify('', stored)).toBe(false);
  });

  it('should refuse a stored value it cannot read rather than throw', async () => {
    for (const stored of ['', 'plain-text', 'scrypt$1$1$1$$', 'bcrypt$x$y$z$a$b', 'scrypt$3$8$1$c2FsdA$a2V5']) {
      expect(await hasher.verify('anything', stored)).toBe(false);
    }
  });
});
