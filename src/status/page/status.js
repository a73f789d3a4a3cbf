// The live topology page. Every second it fetches /status/topology.json through the load balancer; nginx
// hands each request to one app server or the other, so the page keeps the latest view of each instance
// and draws them together: DNS, nginx, the app servers, the primary, each replica with its lag, and Redis.
'use strict';

const POLL_MS = 1000;
/** An app server not heard from for this long is drawn as not answering. */
const SILENT_MS = 5000;
/** A node that served a read this recently is drawn as serving, with the read's path lit. */
const LIT_MS = 4000;
/** RecentReads' name for a read answered by Redis. */
const CACHE_NODE = 'cache';
const PUBLIC_HOSTNAME = 'api.example.test';

/** instance → { view, receivedAt } */
const views = new Map();
let pollError = null;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const line = (label, value) => h('div', { class: 'line' }, `${label} `, h('b', {}, String(value)));

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const formatAge = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

/** A lag bar: full at the threshold that excludes the replica. */
function lagBar(label, value, threshold, format, className) {
  const known = value !== null && value !== undefined;
  const ratio = known ? value / threshold : 0;
  const level = ratio >= 1 ? 'bad' : ratio >= 0.5 ? 'warn' : '';
  return h(
    'div',
    { class: `bar ${className}` },
    `${label}: ${known ? format(value) : 'unknown'} (limit ${format(threshold)})`,
    h('div', { class: 'track' }, h('div', { class: `fill ${level}`, style: `width: ${Math.min(100, ratio * 100)}%` })),
  );
}

/** Every read the app servers reported, with its age as of now (measured on the server's clock, so skew does not matter). */
function recentReads(now) {
  const reads = [];
  for (const [instance, { view, receivedAt }] of views) {
    const serverNow = Date.parse(view.at) + (now - receivedAt);
    for (const read of view.reads.last) reads.push({ ...read, instance, age: serverNow - read.at });
  }
  return reads.sort((a, b) => a.age - b.age);
}

function readsLine(node, reads) {
  const last = reads.find((read) => read.node === node);
  return h('div', { class: 'reads' }, last ? `last read ${formatAge(last.age)} ago via ${last.instance}` : 'no reads yet');
}

function nodeCard(name, role, state, ...content) {
  return h('article', { class: `node ${state}`, 'data-node': name, 'data-role': role }, ...content);
}

function title(name, badgeText, badgeClass) {
  return h('h2', {}, h('span', {}, name), badgeText ? h('span', { class: `badge ${badgeClass}` }, badgeText) : null);
}

function edgeTier(appCount) {
  return [
    nodeCard('client', 'client', 'ok', title('you', null), h('div', { class: 'role' }, 'this browser'), line('asks for', PUBLIC_HOSTNAME)),
    nodeCard('dns', 'dns', 'ok', title('dns', null), h('div', { class: 'role' }, 'dnsmasq'), line(PUBLIC_HOSTNAME, '→ lb'), line('db-replicas', '→ every replica')),
    nodeCard(
      'lb',
      'lb',
      pollError ? 'down' : 'ok',
      title('lb', pollError ? 'no answer' : 'answering', pollError ? 'bad' : 'ok'),
      h('div', { class: 'role' }, 'nginx · round robin'),
      line('reached at', location.host),
      line('app servers seen', appCount),
      pollError ? h('div', { class: 'reason' }, pollError) : null,
    ),
  ];
}

function appTier(now, reads) {
  return [...views.keys()].sort().map((instance) => {
    const { view, receivedAt } = views.get(instance);
    const silent = now - receivedAt > SILENT_MS;
    const mine = reads.filter((read) => read.instance === instance);
    const counts = Object.entries(view.reads.byNode).map(([node, count]) => `${node} ×${count}`).join(', ');
    return nodeCard(
      instance,
      'app',
      silent ? 'stale' : 'ok',
      title(instance, silent ? `silent ${formatAge(now - receivedAt)}` : 'answering', silent ? 'idle' : 'ok'),
      h('div', { class: 'role' }, 'NestJS app server'),
      line('cache', view.cache.connection),
      line(`last ${view.reads.last.length} reads`, counts || 'none'),
      h('div', { class: 'reads' }, mine.length ? `last read ${formatAge(mine[0].age)} ago` : 'no reads yet'),
    );
  });
}

function dataTier(view, reads) {
  const { primary, replicas, analytics = [], thresholds, cache } = view;
  const primaryCard = nodeCard(
    primary.name,
    'primary',
    primary.reachable ? 'ok' : 'down',
    title(primary.name, primary.reachable ? 'writable' : 'unreachable', primary.reachable ? 'ok' : 'bad'),
    h('div', { class: 'role' }, 'primary · takes every write'),
    line('LSN', primary.currentLsn ?? '—'),
    line('timeline', primary.timeline ?? '—'),
    primary.error ? h('div', { class: 'reason' }, primary.error) : null,
    readsLine(primary.name, reads),
  );
  const replicaCards = [...replicas].sort((a, b) => a.name.localeCompare(b.name)).map((replica) =>
    h(
      'article',
      { class: `node ${replica.eligible ? 'ok' : 'excluded'}`, 'data-node': replica.name, 'data-role': 'replica', 'data-eligible': replica.eligible },
      title(replica.name, replica.eligible ? 'eligible' : 'excluded', replica.eligible ? 'ok' : 'bad'),
      h('div', { class: 'role' }, `replica · ${replica.address}`),
      replica.replayPaused ? line('replay', 'paused') : null,
      lagBar('lag', replica.lagBytes, thresholds.maxLagBytes, formatBytes, 'lag-bytes'),
      lagBar('lag', replica.lagSeconds, thresholds.maxLagSeconds, (s) => `${Number(s).toFixed(1)} s`, 'lag-seconds'),
      replica.reason ? h('div', { class: 'reason' }, replica.reason) : null,
      readsLine(replica.name, reads),
    ),
  );
  // Reports only: never excluded for lag (its replay may wait for a report), so a plain figure, no bar to a threshold.
  const analyticsCards = [...analytics].sort((a, b) => a.name.localeCompare(b.name)).map((node) =>
    h(
      'article',
      { class: `node ${node.eligible ? 'ok' : 'excluded'}`, 'data-node': node.name, 'data-role': 'analytics', 'data-eligible': node.eligible },
      title(node.name, node.eligible ? 'reports' : 'excluded', node.eligible ? 'ok' : 'bad'),
      h('div', { class: 'role' }, `analytics replica · ${node.address}`),
      line('lag', node.lagSeconds === null ? '—' : `${Number(node.lagSeconds).toFixed(1)} s · ${formatBytes(node.lagBytes ?? 0)}`),
      node.reason ? h('div', { class: 'reason' }, node.reason) : null,
      readsLine(node.name, reads),
    ),
  );
  const cacheReady = cache.connection === 'ready';
  const redisCard = nodeCard(
    'redis',
    'cache',
    cacheReady ? 'ok' : 'down',
    title('redis', cache.connection, cacheReady ? 'ok' : 'bad'),
    h('div', { class: 'role' }, 'cache-aside'),
    line('hits / misses', `${cache.hits} / ${cache.misses}`),
    readsLine(CACHE_NODE, reads),
  );
  return [primaryCard, ...replicaCards, ...analyticsCards, redisCard];
}

/** Curves between cards; a path that carried a read in the last LIT_MS is drawn moving. */
function drawEdges(reads) {
  const box = document.getElementById('diagram').getBoundingClientRect();
  const card = (name) => document.querySelector(`[data-node="${CSS.escape(name)}"]`);
  const anchor = (element, side) => {
    const r = element.getBoundingClientRect();
    const x = r.left - box.left + r.width / 2;
    if (side === 'right') return { x: r.right - box.left, y: r.top - box.top + r.height / 2 };
    if (side === 'left') return { x: r.left - box.left, y: r.top - box.top + r.height / 2 };
    return { x, y: side === 'top' ? r.top - box.top : r.bottom - box.top };
  };
  const paths = [];
  /** `down`: bottom to top (a tier to the next); `side`: right to left; `over`: an arc above, top to top. */
  const connect = (from, to, className, shape = 'down') => {
    const a = card(from);
    const b = card(to);
    if (!a || !b) return;
    const [startSide, endSide] = { down: ['bottom', 'top'], side: ['right', 'left'], over: ['top', 'top'] }[shape];
    const start = anchor(a, startSide);
    const end = anchor(b, endSide);
    const bend = {
      down: `C ${start.x} ${start.y + 30}, ${end.x} ${end.y - 30},`,
      side: `C ${start.x + 20} ${start.y}, ${end.x - 20} ${end.y},`,
      over: `C ${start.x} ${start.y - 40}, ${end.x} ${end.y - 40},`,
    }[shape];
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', `M ${start.x} ${start.y} ${bend} ${end.x} ${end.y}`);
    if (className) path.setAttribute('class', className);
    paths.push(path);
  };
  connect('client', 'dns', 'lookup', 'side');
  connect('client', 'lb', null, 'over');
  const lit = new Set(reads.filter((read) => read.age < LIT_MS).map((read) => `${read.instance}→${read.node}`));
  const dataNodes = [...document.querySelectorAll('#tier-data .node')].map((element) => element.dataset.node);
  for (const instance of views.keys()) {
    connect('lb', instance, lit.size && [...lit].some((key) => key.startsWith(`${instance}→`)) ? 'read' : null);
    for (const node of dataNodes) {
      const served = node === 'redis' ? CACHE_NODE : node;
      connect(instance, node, lit.has(`${instance}→${served}`) ? 'read' : null);
    }
  }
  document.getElementById('paths').replaceChildren(...paths);
}

function render() {
  const now = Date.now();
  const reads = recentReads(now);
  const freshest = [...views.values()].sort((a, b) => b.receivedAt - a.receivedAt)[0];
  const tier = (id, cards) => {
    const element = document.getElementById(id);
    element.replaceChildren(element.querySelector('.tier-label'), ...cards);
  };
  tier('tier-edge', edgeTier(views.size));
  tier('tier-apps', appTier(now, reads));
  if (freshest) tier('tier-data', dataTier(freshest.view, reads));
  for (const read of reads.filter((r) => r.age < LIT_MS)) {
    document.querySelector(`[data-node="${CSS.escape(read.node === CACHE_NODE ? 'redis' : read.node)}"]`)?.classList.add('serving');
  }
  drawEdges(reads);

  const summary = document.getElementById('summary');
  if (!freshest) {
    summary.textContent = pollError ? `no answer: ${pollError}` : 'connecting…';
  } else {
    const { replicas } = freshest.view;
    const eligible = replicas.filter((replica) => replica.eligible).length;
    summary.textContent =
      `${eligible} of ${replicas.length} replicas eligible (as ${freshest.view.instance} sees them, ` +
      `${formatAge(now - freshest.receivedAt)} ago)${pollError ? ` · last poll failed: ${pollError}` : ''}`;
  }
  document.getElementById('recent').replaceChildren(
    ...reads.slice(0, 6).map((read) => h('li', {}, `${read.instance} → ${read.node} (${read.route}), ${formatAge(read.age)} ago`)),
  );
}

async function poll() {
  try {
    const response = await fetch('/status/topology.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const view = await response.json();
    views.set(view.instance, { view, receivedAt: Date.now() });
    pollError = null;
  } catch (error) {
    pollError = error.message;
  }
  render();
}

window.addEventListener('resize', render);
poll();
setInterval(poll, POLL_MS);
