import { describe, expect, it } from 'vitest';
import { UMD_CMD_TABLE_NAMES } from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import { send, tableInfo } from './handler-core-requests.js';

describe('table names', () => {
  it('lists the tables in use, newest first, as /proc/net/ip_tables_names does', () => {
    const core = createHandlerCore();
    const names = () =>
      new TextDecoder().decode(send(core, false, UMD_CMD_TABLE_NAMES, new Uint8Array()).body);
    expect(names()).toBe('');
    tableInfo(core, 'filter');
    tableInfo(core, 'raw');
    expect(names()).toBe('raw\nfilter\n');
    tableInfo(core, 'mangle');
    tableInfo(core, 'filter');
    expect(names()).toBe('mangle\nraw\nfilter\n');
  });
});
