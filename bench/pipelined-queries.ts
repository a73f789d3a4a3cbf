import type { Variant } from './variants';

const PIPELINED = /^app_db_position_queries_total\{(?=[^}]*how="pipelined")[^}]*\} (\S+)$/gm;

/** The pipelined position queries in one Prometheus scrape of the app, summed over nodes. */
export function pipelinedInScrape(text: string): number {
  return [...text.matchAll(PIPELINED)].reduce((total, [, value]) => total + Number(value), 0);
}

/**
 * Position queries the variant's app servers have sent pipelined so far: pg_stat_statements counts them as
 * statements, but each rode in a read's or a COMMIT's round trip. Zero for servers without metrics.
 */
export async function pipelinedPositionQueries(variant: Variant): Promise<number> {
  const scrapes = await Promise.all(
    variant.metricsUrls.map(async (url) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response.text();
    }),
  );
  return scrapes.reduce((total, text) => total + pipelinedInScrape(text), 0);
}
