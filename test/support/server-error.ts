// The MongoServerError a command fails with; anything else (success, or another error) fails the test.
import { MongoServerError } from 'mongodb';

export async function serverError(pending: Promise<unknown> | (() => Promise<unknown>)): Promise<MongoServerError> {
  try {
    await (typeof pending === 'function' ? pending() : pending);
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected the server to refuse the command');
}
