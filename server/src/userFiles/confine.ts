// Whether a path stays inside a set of folders (the workspace of an
// untrusted editor window) once symbolic links are followed, found without
// touching anything outside them. Comparing path text is not enough: a link
// inside the workspace (`link.jsonl -> ../outside/secret.jsonl`, `up -> /`)
// leads out of it. `realpath` alone would probe outside (whether a target
// exists is itself something an untrusted plan must not learn), so the path
// is walked one component at a time, as the kernel does: a link inside is
// read and its target followed only while the walk stays inside; `..`
// applies to the real folder reached so far, not to the text.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';

/** Links followed at most (as the kernel's ELOOP limit). */
const MAX_LINK_HOPS = 40;

/** Whether `path` is `root` or below it, as text (both absolute and normalised). */
export function textuallyInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
}

/** Folders a walk may enter: each as given and, when it is reached through a link, its real path. */
export interface Roots {
  /** Real paths of the roots: what "inside" means. */
  real: string[];
  /** A root as given (when a link) → its real path. */
  alias: Map<string, string>;
}

export function makeRoots(roots: string[]): Roots {
  const real = new Set<string>();
  const alias = new Map<string, string>();
  for (const r of roots) {
    const abs = resolve(r);
    let rp = abs;
    try {
      rp = realpathSync(abs);
    } catch {
      // A root that does not exist holds nothing; keep its text.
    }
    real.add(rp);
    if (rp !== abs) alias.set(abs, rp);
  }
  return { real: [...real], alias };
}

const components = (p: string) => p.split(/[\\/]+/).filter((c) => c !== '' && c !== '.');

/**
 * The real path `path` (absolute) leads to when it stays inside the roots,
 * else undefined. Components that do not exist (yet) are kept as written.
 */
export function confinedPath(path: string, roots: Roots): string | undefined {
  const inside = (p: string) => roots.real.some((r) => textuallyInside(p, r));
  const onTheWay = (p: string) => roots.real.some((r) => textuallyInside(r, p)) || [...roots.alias.keys()].some((a) => textuallyInside(a, p));
  const abs = resolve(path);
  let done = parse(abs).root;
  let todo = components(abs.slice(done.length));
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done = dirname(done);
      continue;
    }
    let next = join(done, c);
    const real = roots.alias.get(next);
    if (real) next = real;
    if (!inside(next)) {
      // Folders above a root are walked by name only (they lead to a root, which is real).
      if (onTheWay(next)) {
        done = next;
        continue;
      }
      return undefined;
    }
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // Missing from here on: what is left is plain text below `next`.
      const rest = resolve(next, ...todo);
      return inside(rest) ? rest : undefined;
    }
    if (!isLink) {
      done = next;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return undefined;
    const target = readlinkSync(next);
    if (isAbsolute(target)) {
      done = parse(target).root;
      todo = [...components(target.slice(done.length)), ...todo];
    } else todo = [...components(target), ...todo]; // relative to the link's folder, `done`
  }
  return inside(done) ? done : undefined;
}
