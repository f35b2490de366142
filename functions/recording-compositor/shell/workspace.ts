import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * One invocation's scratch directory under Lambda's ephemeral storage, removed when it ends: a warm container
 * keeps /tmp between invocations, and a long recording must not leave gigabytes behind for the next one.
 */
export class Workspace {
  private readonly local = new Map<string, string>();

  private constructor(readonly dir: string) {}

  static async create(root: string, label: string): Promise<Workspace> {
    return new Workspace(await mkdtemp(join(root, `compositor-${label}-`)));
  }

  /** A stable local path for an object key (keys are not file names: slashes, quotes). */
  inputPath(key: string): string {
    let path = this.local.get(key);
    if (!path) {
      path = join(this.dir, `in-${this.local.size}`);
      this.local.set(key, path);
    }
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async subdir(name: string): Promise<string> {
    const dir = join(this.dir, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
