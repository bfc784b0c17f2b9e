/**
 * The dependency rule of docs/architecture.md, enforced in CI (`npm run lint:deps`, part of `npm test`):
 *   core  <-  auth, dialog, knowledge, helpdesk, storage/*, bus/*, webhooks  <-  protocols  <-  gateway  <-  server
 * `core` is pure: no I/O modules, no npm packages. Protocols never import the gateway or the server.
 */
const IO_BUILTINS = '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|tls|dns|cluster|readline|process|os|v8|vm)$';

module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core imports only src/core and non-I/O built-ins (crypto, assert for the conformance suites).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'], path: IO_BUILTINS },
    },
    {
      name: 'storage-shared-is-pure',
      comment: 'src/storage/shared holds what both SQL stores read the same way: core types and plain code, no driver, no I/O.',
      severity: 'error',
      from: { path: '^src/storage/shared/' },
      to: { pathNot: '^src/(core|storage/shared)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'auth-below-protocols',
      comment: 'auth (credential checks) knows only core.',
      severity: 'error',
      from: { path: '^src/auth/' },
      to: { path: '^src/(protocols|gateway|server|storage|bus|dialog|webhooks)/' },
    },
    {
      name: 'dialog-knows-core-only',
      severity: 'error',
      from: { path: '^src/dialog/' },
      to: { path: '^src/(protocols|gateway|server|storage|bus|auth|webhooks)/' },
    },
    {
      name: 'knowledge-knows-core-only',
      comment: 'src/knowledge (chunking, the index, answers, the chat-completions client) implements the core Knowledge port; the dialog engine sees only the port.',
      severity: 'error',
      from: { path: '^src/knowledge/' },
      to: { path: '^src/(protocols|gateway|server|storage|bus|auth|webhooks|dialog|helpdesk)/' },
    },
    {
      name: 'dialog-never-imports-knowledge',
      severity: 'error',
      from: { path: '^src/(dialog|core|protocols)/' },
      to: { path: '^src/knowledge/' },
    },
    {
      name: 'helpdesk-knows-core-only',
      comment: 'the demo ticket service (src/helpdesk) is framework-neutral routes over a store interface.',
      severity: 'error',
      from: { path: '^src/helpdesk/' },
      to: { path: '^src/(protocols|gateway|server|storage|bus|auth|webhooks|dialog)/' },
    },
    {
      name: 'adapters-know-core-only',
      comment: 'storage and bus implementations depend on core ports, never on each other or the layers above.',
      severity: 'error',
      from: { path: '^src/(storage|bus|webhooks)/' },
      to: { path: '^src/(protocols|gateway|server|dialog|auth)/' },
    },
    {
      name: 'postgres-and-redis-know-core-only',
      comment: 'storage/postgres and bus/redis implement core ports over their driver (pg, ioredis): they import core, their own room and (storage) the driver-free rows both SQL stores share, nothing else of src.',
      severity: 'error',
      from: { path: '^src/(storage/postgres|bus/redis)/' },
      to: { path: '^src/', pathNot: '^src/(core|storage/shared|$1)/' },
    },
    {
      name: 'protocols-never-import-gateway',
      comment: 'protocols are translations at the edge of the log; they import core (and auth), never the socket layer.',
      severity: 'error',
      from: { path: '^src/protocols/' },
      to: { path: '^src/(gateway|server|storage|bus|dialog|webhooks)/' },
    },
    {
      name: 'protocols-are-independent',
      severity: 'error',
      from: { path: '^src/protocols/([^/]+)/' },
      to: { path: '^src/protocols/', pathNot: '^src/protocols/$1/' },
    },
    {
      name: 'gateway-below-server',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
