import { IN_CI, SERVICES } from './services.js';

/** Check the outside services once; fail under CI when one is missing, else say loudly what will be skipped. */
export default async function setup(): Promise<() => void> {
  const missing: string[] = [];
  for (const s of SERVICES) if (!(await s.available())) missing.push(`${s.name} (${s.hint})`);
  if (missing.length > 0 && IN_CI) throw new Error(`CI=true but these are missing: ${missing.join(', ')}`);
  const banner = () => {
    if (missing.length === 0) return;
    const line = '!'.repeat(78);
    console.warn(`\n${line}\n!! SKIPPED: tests that need ${missing.join('; ')}\n!! This run is incomplete. Under CI=true these are failures.\n${line}\n`);
  };
  banner();
  return banner;
}
