import { z } from 'zod';

/** Every Kling response (both standards): `{code, message, request_id, data?}`; errors carry no data. */
export const Envelope = z.object({
  code: z.number().int(),
  message: z.string().default(''),
  request_id: z.string().optional(),
  data: z.unknown().optional(),
});
export type Envelope = z.infer<typeof Envelope>;
