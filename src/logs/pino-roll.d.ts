// pino-roll ships no types: the part agentd uses (https://github.com/mcollina/pino-roll#readme).
declare module "pino-roll" {
  import type SonicBoom from "sonic-boom";
  /** Options of pino-roll: the base `file`, `size` (`10m`, `512k`), `frequency` (`daily`, `hourly`, ms), `extension`, `limit`. */
  interface PinoRollOptions {
    file: string;
    size?: string | number;
    frequency?: string | number;
    extension?: string;
    symlink?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    dateFormat?: string;
    mkdir?: boolean;
    sync?: boolean;
  }
  /** Opens a rotating file as a SonicBoom stream. */
  export default function pinoRoll(opts: PinoRollOptions): Promise<SonicBoom>;
}
