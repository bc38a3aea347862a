import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One `info` event per request, when it is answered, carrying what a reader needs: method, URL and
 * client (`req`), status (`res`) and `responseTime` (ms). Fastify's default also logs every arrival at
 * `info`, which doubles the log and says nothing the completed line does not. Arrivals stay at `debug`:
 * a request whose client goes away before the answer finishes is never "completed", and LOG_LEVEL=debug
 * is how one finds it.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
