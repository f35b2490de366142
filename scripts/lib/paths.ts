import { fileURLToPath } from "node:url";
import path from "node:path";

/** Repository root, resolved from this file so scripts work from any cwd. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Runtime state of local services (databases, logs, pid files): git-ignored. */
export const dataDir = path.join(repoRoot, ".data");
/** Build caches (Node 24, livekit-server, versitygw): git-ignored, reused across runs. */
export const cacheDir = path.join(repoRoot, ".cache");
export const runDir = path.join(dataDir, "run");
export const logDir = path.join(dataDir, "logs");
export const binDir = path.join(cacheDir, "bin");
