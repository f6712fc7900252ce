/**
 * A response body pulled from `chunks`: the next chunk is made only when the client has taken
 * the previous one (highWaterMark 0), so a long export holds about one chunk in memory. A
 * failure midway is reported to `onError` and aborts the response (the status is already sent);
 * a client that goes away stops the generator.
 */
export function textStream(chunks: AsyncGenerator<string>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
