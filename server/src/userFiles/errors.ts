// Why a user file could not be read or written, in words. Messages never
// show a temporary file's name or a raw `EACCES: …, open '…'`: the caller
// names the user's path, this module says what went wrong.

/** A refusal or failure, already in words (the caller prefixes the user's path). */
export class UserFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFileError';
  }
}

/** What kind of file system entry a stat describes, for "is a FIFO, not …". */
export function kindOf(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The system error as words (the code's usual meaning), without the path it names. */
export function errnoText(e: unknown): string {
  if (e instanceof UserFileError) return e.message;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EIO':
      return 'input/output error';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
  }
  const message = e instanceof Error ? e.message : String(e);
  // Node's messages end with the path they failed on (`…, open '/x/.tmp'`): drop it.
  return message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
}
