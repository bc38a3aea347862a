import { notice } from '../dom.js';
import type { PageContext } from '../page.js';

export async function render(ctx: PageContext): Promise<void> {
  ctx.root.append(notice('empty', 'logs: being built'));
}
