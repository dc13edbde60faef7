// Workspace trust in the server. The client says whether the workspace is
// trusted (initializationOptions.trusted, then moeplan/workspaceTrust); only
// the literal `true` trusts, so `"false"`, `0` or `{}` never does. An editor
// that says nothing (an LSP client without the notion) is trusted, as
// docs/editors.md describes. Untrusted, a file is read only when its real
// path, links followed, stays inside a workspace folder (userFiles/confine.ts).
import { makeRoots, confinedPath, type Roots } from '../userFiles/confine';

export class WorkspaceTrust {
  private trustedNow = true;
  private rootPaths: string[] = [];
  private roots?: Roots;

  get trusted(): boolean {
    return this.trustedNow;
  }

  /** From initializationOptions.trusted: absent = trusted; anything but `true` = untrusted. */
  setFromInit(value: unknown): void {
    this.trustedNow = value === undefined || value === true;
  }

  /** From moeplan/workspaceTrust: only `true` trusts. */
  set(value: unknown): void {
    this.trustedNow = value === true;
  }

  get folders(): string[] {
    return this.rootPaths;
  }

  setFolders(paths: string[]): void {
    this.rootPaths = paths;
    this.roots = undefined;
  }

  /**
   * The path to read for `path`: itself when trusted; untrusted, its real
   * path when that stays inside a workspace folder, else undefined (do not
   * read, list or even test it).
   */
  readable(path: string): string | undefined {
    if (this.trustedNow) return path;
    // Folders are resolved once per change; their links rarely move.
    this.roots ??= makeRoots(this.rootPaths);
    try {
      return confinedPath(path, this.roots);
    } catch {
      return undefined;
    }
  }
}
