// Time as a dependency, so tests can move it (suspensions that end, token expiry).
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
