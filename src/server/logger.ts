import pino, { type Logger } from 'pino';

/** Paths whose values never reach the logs. */
export const REDACT = [
  'assertion',
  '*.assertion',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'sid',
  '*.sid',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'knowledgeLlmApiKey',
  '*.knowledgeLlmApiKey',
];

/** Structured JSON logs on stdout, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'colloquy' },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
