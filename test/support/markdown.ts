/** The fenced code block that follows the first line of `text` containing `marker`, or an error naming `source`. */
export function codeBlockAfter(text: string, marker: string, source = 'README.md'): string {
  const start = text.indexOf(marker);
  const [, block] = /```\w*\n([\s\S]*?)```/.exec(text.slice(start)) ?? [];
  if (start < 0 || block === undefined) throw new Error(`${source}: no code block after "${marker}"`);
  return block;
}
