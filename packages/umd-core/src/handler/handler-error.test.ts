import { describe, expect, it } from 'vitest';
import { HandlerError, isHandlerError, UmdErrorCode } from '../handler.js';

// Found by walking the packages' exports: HandlerError was an error class without a `code`.
describe('HandlerError', () => {
  it('has the code its answer reaches the host with, beside its errno', () => {
    const error = new HandlerError(-22, 'bad offset');
    expect(error.code).toBe(UmdErrorCode.HANDLER_ERROR);
    expect(error).toMatchObject({ name: 'HandlerError', errno: -22, message: 'bad offset' });
    expect(isHandlerError(error)).toBe(true);
  });
});
