import { Redis } from 'ioredis';
const r = new Redis({ host: '10.213.6.31', port: 6379, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (a) => Math.min(a * 200, 2000) });
const t0 = Date.now();
for (const e of ['connect', 'ready', 'close', 'reconnecting', 'end', 'error']) r.on(e, (x?: unknown) => console.log(Date.now() - t0, e, r.status, x instanceof Error ? x.message : ''));
r.once('ready', () => { console.log('before disconnect', r.status); r.disconnect(true); console.log('after disconnect', r.status); setTimeout(() => { console.log('final', r.status); r.disconnect(); }, 2000); });
