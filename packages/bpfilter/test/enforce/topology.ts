/**
 * The addresses of each twin's three namespaces (twins.ts makes them):
 *
 *     C 10.1.0.2 --- 10.1.0.1 F 10.2.0.1 --- 10.2.0.2 S
 *            c0      fc              fs      s0
 */
/** The client, the outside world. */
export const C = '10.1.0.2';
/** The firewall on its interface towards C (`fc`). */
export const F = '10.1.0.1';
/** The firewall on its interface towards S (`fs`). */
export const F2 = '10.2.0.1';
/** The server behind the firewall (a container, a guest, the LAN). */
export const S = '10.2.0.2';
