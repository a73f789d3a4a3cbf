/** What a failed answer says: a problem+json body's `detail` (else its `title`), else the body's first 60 characters. */
export function problemDetail(body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? '';
  } catch {
    return body.slice(0, 60);
  }
}
