// Which namespaces are capped, for routing (route.ts): a capped collection's writes all go to one
// applier, in stream order, because the target evicts by insertion order. Asked of the target, where
// the catalog created every selected collection with its source options, once per namespace; the
// answers are forgotten after any DDL, which is the only thing that can change them.
import { retry } from '../errors.js';
import type { EngineContext } from '../parts.js';

export class CappedNamespaces {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly signal: AbortSignal,
  ) {}

  isCapped(db: string, coll: string): Promise<boolean> {
    const namespace = `${db}.${coll}`;
    let answer = this.known.get(namespace);
    if (!answer) {
      answer = this.ask(db, coll);
      this.known.set(namespace, answer);
      answer.catch(() => this.known.delete(namespace));
    }
    return answer;
  }

  forget(): void {
    this.known.clear();
  }

  private async ask(db: string, coll: string): Promise<boolean> {
    const [entry] = await retry(
      () => this.ctx.target.db(db).listCollections({ name: coll }, { nameOnly: false }).toArray(),
      { attempts: Infinity, initialDelayMs: 250, maxDelayMs: 30_000, signal: this.signal },
    );
    // A collection missing on the target receives nothing that depends on order until it is created.
    return entry !== undefined && 'options' in entry && entry.options?.capped === true;
  }
}
