/** The bottom floor: clock helpers every layer may import (it imports nothing of ours). */

/** Wall-clock now, in seconds since the epoch (what every `*_at` column and `*AtSec` field holds). */
export const nowSec = (): number => Date.now() / 1000;
