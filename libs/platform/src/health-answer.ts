// Runs a terminus health check and answers its result whatever exception filters the app has:
// 200 with terminus's body when every indicator is up, 503 with the same body naming what failed
// (`error`) when one is down. Terminus reports a failed check by throwing; a global filter that
// reshapes errors (the producer has one) would otherwise hide which indicator failed.
import { ServiceUnavailableException } from '@nestjs/common';

export async function healthAnswer<T>(
  check: () => Promise<T>,
  response: { status(code: number): unknown },
): Promise<T | string | object> {
  try {
    return await check();
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    response.status(503);
    return error.getResponse();
  }
}
