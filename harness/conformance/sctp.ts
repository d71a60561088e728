// Whether SCTP traffic can be probed: kind nodes share this host's kernel, which must have SCTP.
import { access } from 'node:fs/promises';

export async function hostHasSctp(procRoot = '/proc'): Promise<boolean> {
  try {
    await access(`${procRoot}/sys/net/sctp`);
    return true;
  } catch {
    return false;
  }
}
