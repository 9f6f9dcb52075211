import { relative, resolve } from 'node:path';
import { type Command, ExitCode } from '../cli/args.js';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { generateDriver, generatorError } from './generate.js';
import { driverNames } from './names.js';
import { findUmdRepoRoot, workspaceRootOf } from './workspace.js';

/** `sample-umd new <name> [dir] [--minimal] [--workspace] [--force] [--from-tarballs DIR]`: makes a driver package and says what to do next. */
export async function newDriverCommand(
  command: Extract<Command, { kind: 'new' }>,
): Promise<number> {
  try {
    let dir: string;
    if (command.workspace) {
      const root = findUmdRepoRoot(process.cwd());
      if (root === undefined)
        throw generatorError(
          '--workspace: not inside the umd repository (no pnpm-workspace.yaml with packages/umd-mgmt above here)',
        );
      dir = resolve(root, command.dir ?? `packages/${driverNames(command.name).name}`);
      if (workspaceRootOf(dir) !== root)
        throw generatorError(
          `--workspace: ${dir} is not directly under ${resolve(root, 'packages')}`,
        );
    } else {
      dir = resolve(command.dir ?? driverNames(command.name).name);
    }
    const driver = await generateDriver({
      name: command.name,
      dir,
      force: command.force,
      template: command.minimal ? 'minimal' : 'full',
      ...(command.fromTarballs === undefined ? {} : { fromTarballs: command.fromTarballs }),
    });
    const shown = relative(process.cwd(), driver.dir) || '.';
    console.log(
      `made ${driver.packageName} in ${shown} (${driver.layout} layout, ${driver.template} template, ${driver.files.length} files)\n`,
    );
    console.log('next:');
    if (driver.layout === 'workspace') {
      const root = workspaceRootOf(driver.dir) as string;
      const at = relative(root, driver.dir);
      console.log(
        `  pnpm install                                  # link the new package into the workspace`,
      );
      console.log(`  pnpm --filter ${driver.packageName} build`);
      console.log(`  pnpm --filter ${driver.packageName} test`);
      if (driver.template === 'full')
        console.log(`  node ${at}/dist/cli.js 4096                   # your first request`);
    } else {
      console.log(`  cd ${shown}`);
      console.log('  npm install                                   # also builds it');
      console.log('  npm test');
      if (driver.template === 'full')
        console.log('  node dist/cli.js 4096                         # your first request');
    }
    console.log(`\nthen read ${shown}/README.md: it says where to change what.`);
    return ExitCode.OK;
  } catch (error) {
    if (isUmdError(error, UmdErrorCode.INVALID_ARGUMENT)) {
      console.error(`new: ${error.message}`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}
