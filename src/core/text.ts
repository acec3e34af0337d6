// Quoting what a user wrote back to them: a path or a value of any length must not turn one message
// into megabytes, and must still be recognisable, so long strings keep their start and their end.

/** At most `max` characters: the start and the end of a longer string, with how much was left out. */
export function shorten(s: string, max = 160): string {
  if (s.length <= max) return s;
  const keep = Math.max(8, Math.floor((max - 30) / 2));
  return `${s.slice(0, keep)}…(${s.length - 2 * keep} more characters)…${s.slice(-keep)}`;
}

/** A path or name in a message, shortened when absurdly long. */
export function quote(s: string, max?: number): string {
  return shorten(s, max);
}

/** A value as JSON (quotes and escapes shown), shortened when absurdly long. */
export function quoteJson(s: string, max?: number): string {
  return JSON.stringify(shorten(s, max));
}

/** Why a path's metadata could not be read, in words, for an errno code other than ENOENT. */
export function lookupFailure(code: string, p: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied reading it or a folder above it; check the permissions of each folder on the way';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ELOOP':
      return 'its symbolic links point at each other in a loop';
    case 'ENAMETOOLONG':
      return `the path (${Buffer.byteLength(p)} bytes) or one of its names is too long for the file system`;
    case 'EIO':
      return 'the disk or share reported an I/O error; check the media and the connection';
    default:
      return `its metadata cannot be read (${code})`;
  }
}
