/**
 * Durable, all-or-nothing file writes for everything that writes a user's file (received faxes,
 * `convert`, `analyze --extract`): the bytes go to a temporary file in the same directory, are
 * synced to disk (fsync), and only then renamed over the final name (rename(2) within one file
 * system replaces the name atomically), and the directory is synced so the rename itself
 * survives a crash. A failure at any step removes the temporary file and leaves whatever was at
 * the final name untouched — never a truncated file.
 *
 * Errors name the operation and the final path ("cannot create out/rx.tif: EROFS …", "cannot
 * write out/rx.tif: ENOSPC …"; the system's own message, with the temporary name, follows in
 * parentheses), not just the errno of whichever call happened to fail.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A file operation that failed: which one, on which path, and the system error code. */
export class FileOpError extends Error {
  override readonly name = 'FileOpError';
  constructor(
    /** 'create directory', 'create', 'write', 'sync', 'rename', … */
    readonly op: string,
    readonly path: string,
    /** ENOSPC, EROFS, EACCES, … ('' when the cause had none). */
    readonly code: string,
    cause: unknown,
  ) {
    super(`cannot ${op} ${path}: ${code !== '' ? code : 'error'}${cause instanceof Error && cause.message !== '' ? ` (${cause.message})` : ''}`, { cause });
  }
}

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
}

async function step<T>(op: string, path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof FileOpError) throw e;
    throw new FileOpError(op, path, errCode(e), e);
  }
}

/**
 * `mkdir -p`, with an error that says which directory could not be made and why. A recursive
 * mkdir can report ENOENT for a parent it could not create (a read-only file system, no
 * permission); the real cause is then found by creating the first missing directory alone, so the
 * message says e.g. "cannot create directory /mnt/ro/pages: EROFS".
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (first) {
    let e: unknown = first;
    let code = errCode(e);
    let where = dir;
    if (code === 'ENOENT') {
      // Walk up to the deepest ancestor that exists; creating its child alone gives the true error.
      let child = resolve(dir);
      for (let parent = dirname(child); parent !== child; child = parent, parent = dirname(parent)) {
        if (await stat(parent).then(() => true, () => false)) break;
      }
      try {
        await mkdir(child);
      } catch (e2) {
        code = errCode(e2);
        where = child;
        e = e2;
      }
    }
    throw new FileOpError('create directory', where, code, e);
  }
}

/** Writes `data` to `path` atomically and durably (temporary file, fsync, rename, directory fsync). */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await step('create', path, () => open(tmp, 'wx', 0o644));
  let renamed = false;
  try {
    try {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await step('write', path, () => fh.write(data, off, data.length - off));
        if (bytesWritten <= 0) throw new FileOpError('write', path, 'EIO', new Error('no progress'));
        off += bytesWritten;
      }
      await step('sync', path, () => fh.sync());
    } finally {
      await fh.close().catch(() => undefined);
    }
    await step('rename to', path, () => rename(tmp, path));
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
  // The rename is only durable once the directory is synced; not every system allows it (best effort).
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // e.g. EISDIR/EPERM on some platforms: the data itself is synced.
  }
}

function stepSync<T>(op: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FileOpError) throw e;
    throw new FileOpError(op, path, errCode(e), e);
  }
}

/**
 * `ensureDir` for callers that must not yield (a streaming analysis writing each page the moment
 * it is whole): the same directory, the same error.
 */
export function ensureDirSync(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (first) {
    let e: unknown = first;
    let code = errCode(e);
    let where = dir;
    if (code === 'ENOENT') {
      let child = resolve(dir);
      for (let parent = dirname(child); parent !== child; child = parent, parent = dirname(parent)) {
        if (existsSync(parent)) break;
      }
      try {
        mkdirSync(child);
      } catch (e2) {
        code = errCode(e2);
        where = child;
        e = e2;
      }
    }
    throw new FileOpError('create directory', where, code, e);
  }
}

/** `writeFileAtomic` without yielding: temporary file, fsync, rename, directory fsync; the same errors. */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = stepSync('create', path, () => openSync(tmp, 'wx', 0o644));
  let renamed = false;
  try {
    try {
      let off = 0;
      while (off < data.length) {
        const n = stepSync('write', path, () => writeSync(fd, data, off, data.length - off));
        if (n <= 0) throw new FileOpError('write', path, 'EIO', new Error('no progress'));
        off += n;
      }
      stepSync('sync', path, () => fsyncSync(fd));
    } finally {
      try {
        closeSync(fd);
      } catch {
        // closing a descriptor we are abandoning anyway
      }
    }
    stepSync('rename to', path, () => renameSync(tmp, path));
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // e.g. EISDIR/EPERM on some platforms: the data itself is synced.
  }
}
