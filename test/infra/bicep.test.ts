/**
 * Checks on infra/ that run offline, inside `npm test`. No Bicep compiler can be
 * installed here, so the Bicep is parsed with tree-sitter-bicep and linted on the
 * tree; `azd up` / `az bicep build` compile it where a network exists.
 *
 * Each rule is a function returning problems, run on the real files (expecting
 * none) and on a small broken sample (expecting some), so no rule can quietly
 * stop checking anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allSettingNames,
  serviceBusNames,
  serviceBusQueueSettings,
  settingDescriptors,
  settings,
  storageNames,
} from '../../src/kernel/config';
import type { SettingDescriptor } from '../../src/kernel/config';
import type { BicepFile, ResourceDecl, SyntaxNode, Value } from './bicep-tree';
import {
  bicepFilesUnder,
  evaluate,
  expandedText,
  infraDir,
  kids,
  moduleFile,
  modulePath,
  modules,
  objectProperties,
  objectsIn,
  outputs,
  params,
  parseBicep,
  parseBicepSource,
  prop,
  repoRoot,
  resources,
  stringLiteral,
  syntaxProblems,
  undeclaredReferences,
  where,
} from './bicep-tree';

// ---- Fixtures ------------------------------------------------------------------

const files = bicepFilesUnder(infraDir).map(parseBicep);
const main = parseBicep(join(infraDir, 'main.bicep'));

function fileNamed(relPath: string): BicepFile {
  const file = files.find((f) => f.relPath === relPath);
  if (!file) throw new Error(`${relPath} not found`);
  return file;
}

interface RoleEntry {
  readonly name: string;
  readonly id: string;
}
const roleTable = JSON.parse(readFileSync(join(infraDir, 'roles.json'), 'utf8')) as {
  readonly roles: Readonly<Record<string, RoleEntry>>;
};
const roleKeyById = new Map(
  Object.entries(roleTable.roles).map(([key, role]) => [role.id.toLowerCase(), key]),
);

const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * App settings the kernel code never reads, so settings.ts does not declare them,
 * but the platform needs them in Azure.
 */
const platformSettings: Readonly<Record<string, string>> = {
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
    'the Functions host authenticates its Application Insights exporter with Entra ID, since local auth is off',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
    'read by the Durable extension (host.json storageProvider.connectionStringName), not by the kernel',
};

/** Kernel settings Azure receives in another form than an app setting. */
const settingsNotAppSettings: Readonly<Record<string, string>> = {
  [settings.workerRuntime.name]:
    'Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME; the runtime is functionAppConfig.runtime (checked below)',
};

/** Blob containers that belong to the platform, not to the kernel's storageNames. */
const platformContainers: Readonly<Record<string, string>> = {
  'app-package': 'Flex Consumption deployment package (functionAppConfig.deployment.storage)',
};

/** Outputs azd and a developer's local run need from `azd up`. */
const requiredOutputs = [
  'AZURE_LOCATION',
  'AZURE_TENANT_ID',
  'AZURE_RESOURCE_GROUP',
  'RESOURCE_GROUP',
  'SERVICE_API_NAME',
  'AZURE_FUNCTION_APP_NAME',
  'AZURE_STORAGE_ACCOUNT_NAME',
  'SERVICE_BUS_NAMESPACE',
  'SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE',
  'APPLICATIONINSIGHTS_NAME',
  'AZURE_KEY_VAULT_ENDPOINT',
];

/** Exactly what the app's identity holds (roles.json keys): what the kernel needs, no more. */
const appIdentityRoles = [
  'storageBlobDataOwner',
  'storageTableDataContributor',
  'storageQueueDataContributor',
  'azureServiceBusDataSender',
  'azureServiceBusDataReceiver',
  // On the results topic only: creating a subscription per client app needs Manage rights.
  'azureServiceBusDataOwner',
  'durableTaskDataContributor',
  'keyVaultSecretsUser',
  'monitoringMetricsPublisher',
];

/** What running the kernel locally against Azure needs of the developer. */
const developerRoles = [
  'storageBlobDataOwner',
  'storageTableDataContributor',
  'storageQueueDataContributor',
  'azureServiceBusDataSender',
  'azureServiceBusDataReceiver',
  'keyVaultSecretsOfficer',
];

// ---- Rules ---------------------------------------------------------------------

function syntaxRule(file: BicepFile): string[] {
  return syntaxProblems(file).map(
    (p) => `${file.relPath}:${p.line}:${p.column} ${p.kind} ${JSON.stringify(p.text)}`,
  );
}

function referenceRule(file: BicepFile): string[] {
  return undeclaredReferences(file).map((r) => `${r.at} '${r.name}' is not declared`);
}

const secretInOutput =
  /listKeys|listConnectionStrings|\blist[A-Z]\w*\(|connectionString|AccountKey|SharedAccessKey|SharedAccessSignature|primaryKey|secondaryKey|instrumentationKey|secret|password/i;

function outputSecretRule(file: BicepFile): string[] {
  return outputs(file).flatMap((output) => {
    const problems: string[] = [];
    if (secretInOutput.test(output.name))
      problems.push(`${where(file, output.node)} output name ${output.name}`);
    const expanded = expandedText(file, output.value);
    const match = secretInOutput.exec(expanded.text);
    if (match) problems.push(`${where(file, output.node)} output ${output.name} reaches '${match[0]}'`);
    for (const secure of expanded.secureParams) {
      problems.push(`${where(file, output.node)} output ${output.name} reaches @secure() param ${secure}`);
    }
    return problems;
  });
}

function listFunctionRule(file: BicepFile): string[] {
  return file.root
    .descendantsOfType('call_expression')
    .filter((call) => /^list/i.test(call.childForFieldName('function')?.text.split('.').at(-1) ?? ''))
    .map((call) => `${where(file, call)} calls ${call.childForFieldName('function')?.text ?? ''}()`);
}

interface AppSetting {
  readonly name: string | undefined;
  readonly value: SyntaxNode | undefined;
  readonly node: SyntaxNode;
}

function functionAppSites(file: BicepFile): ResourceDecl[] {
  return resources(file).filter((r) => r.type === 'Microsoft.Web/sites' && !r.existing);
}

function appSettingsOf(file: BicepFile, site: ResourceDecl): AppSetting[] {
  const list = prop(site.body, 'properties', 'siteConfig', 'appSettings');
  if (!list) return [];
  return objectsIn(file, list).map((object) => {
    const properties = objectProperties(object);
    const nameNode = properties.get('name');
    return {
      name: nameNode ? stringLiteral(nameNode) : undefined,
      value: properties.get('value'),
      node: object,
    };
  });
}

const secretInSetting = /AccountKey=|SharedAccessKey=|SharedAccessSignature=|listKeys|\blist[A-Z]\w*\(/i;

function appSettingRule(file: BicepFile): string[] {
  const known = new Set([...allSettingNames(), ...Object.keys(platformSettings)]);
  const problems: string[] = [];
  for (const site of functionAppSites(file)) {
    const seen = new Set<string>();
    for (const setting of appSettingsOf(file, site)) {
      if (setting.name === undefined) {
        problems.push(`${where(file, setting.node)} app setting name is not a plain string`);
        continue;
      }
      if (!known.has(setting.name)) {
        problems.push(
          `${where(file, setting.node)} ${setting.name} is neither in settings.ts nor a listed platform setting`,
        );
      }
      if (setting.name === settings.workerRuntime.name) {
        problems.push(`${where(file, setting.node)} ${setting.name} must not be set on Flex Consumption`);
      }
      if (seen.has(setting.name)) problems.push(`${where(file, setting.node)} ${setting.name} set twice`);
      seen.add(setting.name);
      const match = setting.value ? secretInSetting.exec(expandedText(file, setting.value).text) : null;
      if (match) problems.push(`${where(file, setting.node)} ${setting.name} carries '${match[0]}'`);
    }
  }
  return problems;
}

function roleGuidLiteralRule(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const str of file.root.descendantsOfType('string')) {
    const text = stringLiteral(str) ?? str.text;
    const match = guidPattern.exec(text);
    if (!match) continue;
    const key = roleKeyById.get(match[0].toLowerCase());
    if (!key) {
      problems.push(`${where(file, str)} GUID ${match[0]} is not in infra/roles.json`);
      continue;
    }
    // A GUID held under a role-like name must be that role's GUID.
    const parent = str.parent;
    const label =
      parent && (parent.type === 'variable_declaration' || parent.type === 'object_property')
        ? kids(parent)[0]?.text
        : undefined;
    const normalised = label?.replace(/(RoleDefinitionId|RoleId|Id)$/i, '').toLowerCase();
    const named = Object.keys(roleTable.roles).find((k) => k.toLowerCase() === normalised);
    if (named && named !== key)
      problems.push(`${where(file, str)} ${label} holds the GUID of ${key}, not ${named}`);
  }
  return problems;
}

interface RoleAssignment {
  readonly file: BicepFile;
  readonly resource: ResourceDecl;
  readonly roleKeys: string[];
  readonly principal: string;
  readonly problems: string[];
}

function roleAssignments(file: BicepFile): RoleAssignment[] {
  return resources(file)
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing)
    .map((resource) => {
      const problems: string[] = [];
      const at = where(file, resource.node);
      const roleDefinitionId = prop(resource.body, 'properties', 'roleDefinitionId');
      const fn = roleDefinitionId?.childForFieldName('function')?.text;
      const args = roleDefinitionId?.childForFieldName('arguments');
      const [typeArg, idArg] = args ? kids(args) : [];
      if (
        fn !== 'subscriptionResourceId' ||
        !typeArg ||
        stringLiteral(typeArg) !== 'Microsoft.Authorization/roleDefinitions' ||
        !idArg
      ) {
        problems.push(
          `${at} roleDefinitionId is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <role>)`,
        );
        return { file, resource, roleKeys: [], principal: '', problems };
      }
      const ids: Value[] | undefined =
        resource.loop && idArg.type === 'identifier' && idArg.text === resource.loop.variable
          ? (evaluate(file, resource.loop.items) as Value[] | undefined)
          : [evaluate(file, idArg)].filter((v): v is Value => v !== undefined);
      const roleKeys: string[] = [];
      if (!ids || ids.length === 0) problems.push(`${at} role cannot be traced to infra/roles.json`);
      for (const id of ids ?? []) {
        const key = typeof id === 'string' ? roleKeyById.get(id.toLowerCase()) : undefined;
        if (key) roleKeys.push(key);
        else problems.push(`${at} role ${JSON.stringify(id)} is not in infra/roles.json`);
      }
      const name = prop(resource.body, 'name');
      const principal = prop(resource.body, 'properties', 'principalId')?.text ?? '';
      const nameArgs = name?.childForFieldName('arguments');
      const nameArgTexts = nameArgs ? kids(nameArgs).map((a) => a.text) : [];
      if (
        name?.childForFieldName('function')?.text !== 'guid' ||
        !nameArgTexts.includes(principal) ||
        !nameArgTexts.includes(idArg.text)
      ) {
        problems.push(`${at} name must be guid(<scope>.id, <principal>, <role>) so it is stable and unique`);
      }
      return { file, resource, roleKeys, principal, problems };
    });
}

// ---- Tests ---------------------------------------------------------------------

describe('infra/ Bicep: syntax (tree-sitter)', () => {
  it('finds the entry point and its modules', () => {
    expect(files.map((f) => f.relPath)).toContain('infra/main.bicep');
    expect(files.length).toBeGreaterThan(5);
  });

  it('parses every .bicep file with no ERROR or MISSING node', () => {
    expect(files.flatMap(syntaxRule)).toEqual([]);
  });

  it('reports a broken file with its line and column', () => {
    const broken = parseBicepSource('param a string\nvar b = {\n  c: \n}\n', 'infra/broken.bicep');
    expect(syntaxRule(broken)).toEqual([
      expect.stringMatching(/^infra\/broken\.bicep:3:\d+ (ERROR|MISSING)/),
    ]);
  });

  it('uses no spread operator, which the parser mis-reports', () => {
    for (const file of files) expect(file.source, file.relPath).not.toMatch(/\.\.\.\s*[A-Za-z_(]/);
  });

  it('references only declared symbols', () => {
    expect(files.flatMap(referenceRule)).toEqual([]);
    const typo = parseBicepSource('param name string\nvar upper = toUpper(nmae)\n');
    expect(referenceRule(typo)).toEqual([expect.stringContaining("'nmae' is not declared")]);
  });
});

describe('infra/ Bicep: parameters, modules and files', () => {
  const parameterFile = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value?: unknown }>;
  };
  const mainParams = params(main);

  it('declares every main.parameters.json entry as a param of main.bicep', () => {
    const undeclared = Object.keys(parameterFile.parameters).filter((name) => !mainParams.has(name));
    expect(undeclared).toEqual([]);
  });

  it('gives every main.bicep param without a default a value in main.parameters.json', () => {
    const missing = [...mainParams.values()]
      .filter((p) => p.defaultValue === undefined && !(p.name in parameterFile.parameters))
      .map((p) => p.name);
    expect(missing).toEqual([]);
  });

  it('fills the parameters from the azd environment', () => {
    for (const [name, entry] of Object.entries(parameterFile.parameters)) {
      expect(entry.value, name).toMatch(/^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/);
    }
    // A `${VAR=default}` default must be a value the param allows.
    for (const [name, entry] of Object.entries(parameterFile.parameters)) {
      const fallback = /=([^}]*)\}$/.exec(String(entry.value))?.[1];
      const allowed = mainParams.get(name)?.decoratorArgs.get('allowed')?.[0];
      if (fallback !== undefined && allowed) expect(evaluate(main, allowed), name).toContain(fallback);
    }
    expect(parameterFile.parameters['environmentName']?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameterFile.parameters['location']?.value).toBe('${AZURE_LOCATION}');
    expect(parameterFile.parameters['principalId']?.value).toBe('${AZURE_PRINCIPAL_ID}');
  });

  it('gives every param a @description', () => {
    const undocumented = files.flatMap((file) =>
      [...params(file).values()]
        .filter((p) => !p.decorators.includes('description'))
        .map((p) => where(file, p.node)),
    );
    expect(undocumented).toEqual([]);
  });

  it('points every module at an existing local file', () => {
    for (const file of files) {
      for (const module of modules(file)) {
        const path = modulePath(file, module);
        expect(path, `${where(file, module.node)} ${module.path}`).toBeDefined();
        expect(existsSync(path ?? ''), `${where(file, module.node)} ${module.path}`).toBe(true);
      }
    }
  });

  it('loads only JSON and text files that exist', () => {
    for (const file of files) {
      for (const call of file.root.descendantsOfType('call_expression')) {
        const fn = call.childForFieldName('function')?.text ?? '';
        if (!/^load(Json|Text|Yaml|FileAsBase64)Content$/.test(fn)) continue;
        const first = kids(call.childForFieldName('arguments') ?? call)[0];
        const path = first ? stringLiteral(first) : undefined;
        expect(path, where(file, call)).toBeDefined();
        expect(existsSync(join(file.path, '..', path ?? '')), `${where(file, call)} ${path ?? ''}`).toBe(
          true,
        );
      }
    }
  });

  it('passes modules only params they declare, including all they require', () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const module of modules(file)) {
        const target = moduleFile(file, module);
        if (!target) continue;
        const declared = params(target);
        const passed = objectProperties(prop(module.body, 'params') ?? module.body);
        for (const name of passed.keys()) {
          if (!declared.has(name)) problems.push(`${where(file, module.node)} passes unknown param ${name}`);
        }
        for (const param of declared.values()) {
          if (!param.defaultValue && !passed.has(param.name)) {
            problems.push(`${where(file, module.node)} does not pass required param ${param.name}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('reads only outputs that modules declare', () => {
    const problems: string[] = [];
    for (const file of files) {
      const bySymbol = new Map(modules(file).map((m) => [m.symbol, moduleFile(file, m)]));
      for (const member of file.root.descendantsOfType('member_expression')) {
        const outer = member.childForFieldName('object');
        if (outer?.type !== 'member_expression' || outer.childForFieldName('property')?.text !== 'outputs')
          continue;
        const symbol = outer.childForFieldName('object')?.text ?? '';
        const target = bySymbol.get(symbol);
        const name = member.childForFieldName('property')?.text ?? '';
        if (target && !outputs(target).some((o) => o.name === name)) {
          problems.push(
            `${where(file, member)} ${symbol}.outputs.${name} is not an output of ${target.relPath}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('infra/ Bicep: roles', () => {
  it('keeps one table of built-in roles: unique GUIDs, keys named after the roles', () => {
    const entries = Object.entries(roleTable.roles);
    expect(entries.length).toBeGreaterThan(0);
    const camel = (name: string) =>
      name
        .split(/\s+/)
        .map((word, i) =>
          i === 0 ? word.toLowerCase() : word[0]?.toUpperCase() + word.slice(1).toLowerCase(),
        )
        .join('');
    for (const [key, role] of entries) {
      expect(role.id, key).toMatch(new RegExp(`^${guidPattern.source}$`, 'i'));
      expect(key, role.name).toBe(camel(role.name));
    }
    expect(new Set(entries.map(([, role]) => role.id.toLowerCase())).size).toBe(entries.length);
  });

  it("writes no role GUID that is not in the table, and none under another role's name", () => {
    expect(files.flatMap(roleGuidLiteralRule)).toEqual([]);
    const sample = parseBicepSource(
      "var storageBlobDataOwnerRoleId = '4633458b-17de-408a-b874-0445c86b69e6'\nvar other = '00000000-1111-2222-3333-444444444444'\n",
    );
    expect(roleGuidLiteralRule(sample)).toEqual([
      expect.stringContaining('holds the GUID of keyVaultSecretsUser, not storageBlobDataOwner'),
      expect.stringContaining('is not in infra/roles.json'),
    ]);
  });

  it('builds every role assignment from the table, with a stable guid() name', () => {
    const all = files.flatMap(roleAssignments);
    expect(all.length).toBeGreaterThan(0);
    expect(all.flatMap((a) => a.problems)).toEqual([]);
  });

  it('catches a role assignment outside the table', () => {
    const sample = parseBicepSource(
      [
        'param principalId string',
        "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
        '  name: guid(principalId)',
        '  properties: {',
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')",
        '    principalId: principalId',
        '  }',
        '}',
      ].join('\n'),
    );
    const problems = roleAssignments(sample).flatMap((a) => a.problems);
    expect(problems).toEqual([
      expect.stringContaining('is not in infra/roles.json'),
      expect.stringContaining('name must be guid('),
    ]);
  });

  it('grants the app identity exactly the roles the kernel needs, as a ServicePrincipal', () => {
    const app = files.flatMap(roleAssignments).filter((a) => a.principal === 'appPrincipalId');
    expect(new Set(app.flatMap((a) => a.roleKeys))).toEqual(new Set(appIdentityRoles));
    for (const { file, resource } of app) {
      const principalType = prop(resource.body, 'properties', 'principalType');
      expect(principalType && evaluate(file, principalType), where(file, resource.node)).toBe(
        'ServicePrincipal',
      );
    }
  });

  it('scopes Service Bus Data Owner to the results topic, never wider', () => {
    const owners = files
      .flatMap(roleAssignments)
      .filter((a) => a.roleKeys.includes('azureServiceBusDataOwner'));
    expect(owners.length).toBeGreaterThan(0);
    for (const { file, resource } of owners) {
      const scope = prop(resource.body, 'scope')?.text;
      const target = resources(file).find((r) => r.symbol === scope);
      expect(target?.type, where(file, resource.node)).toBe('Microsoft.ServiceBus/namespaces/topics');
      expect(
        target &&
          evaluate(file, prop(target.body, 'name')!, {
            resultsTopicName: serviceBusNames.orchestrationResultsTopic,
          }),
      ).toBe(serviceBusNames.orchestrationResultsTopic);
    }
  });

  it('grants the developer the data roles local development needs, only when a principal is given', () => {
    const developer = files.flatMap(roleAssignments).filter((a) => a.principal === 'developerPrincipalId');
    const keys = new Set(developer.flatMap((a) => a.roleKeys));
    for (const role of developerRoles) expect(keys.has(role), role).toBe(true);
    for (const { file, resource } of developer) {
      expect(resource.condition?.text, where(file, resource.node)).toMatch(/assignDeveloper/);
    }
  });
});

describe('infra/ Bicep: no secrets', () => {
  it('puts no key, connection string or secret into any output', () => {
    expect(files.flatMap(outputSecretRule)).toEqual([]);
  });

  it('sees a secret through variables and module outputs', () => {
    const sample = parseBicepSource(
      [
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {",
        "  name: 'x'",
        '}',
        'var keys = st.listKeys().keys[0].value',
        'output STORAGE string = keys',
        "output APPINSIGHTS string = 'a${appi.properties.ConnectionString}'",
      ].join('\n'),
    );
    expect(outputSecretRule(sample)).toHaveLength(2);
    expect(outputSecretRule(main)).toEqual([]);
  });

  it('calls no list*() function anywhere: every connection is identity-based', () => {
    expect(files.flatMap(listFunctionRule)).toEqual([]);
    expect(listFunctionRule(parseBicepSource("var k = listKeys('id', '2023-05-01')\n"))).toHaveLength(1);
  });

  it('turns shared keys, SAS and local auth off, and Key Vault to RBAC', () => {
    const of = (type: string) =>
      files.flatMap((file) =>
        resources(file)
          .filter((r) => r.type === type && !r.existing)
          .map((r) => ({ file, r })),
      );
    const value = (file: BicepFile, r: ResourceDecl, ...path: string[]) => {
      const node = prop(r.body, ...path);
      return node ? evaluate(file, node) : undefined;
    };
    const storage = of('Microsoft.Storage/storageAccounts');
    expect(storage).toHaveLength(1);
    for (const { file, r } of storage) {
      expect(value(file, r, 'properties', 'allowSharedKeyAccess')).toBe(false);
      expect(value(file, r, 'properties', 'allowBlobPublicAccess')).toBe(false);
    }
    const bus = of('Microsoft.ServiceBus/namespaces');
    expect(bus).toHaveLength(1);
    for (const { file, r } of bus) {
      expect(value(file, r, 'properties', 'disableLocalAuth')).toBe(true);
      expect(value(file, r, 'sku', 'name')).toBe('Standard');
    }
    const insights = of('Microsoft.Insights/components');
    expect(insights).toHaveLength(1);
    for (const { file, r } of insights) expect(value(file, r, 'properties', 'DisableLocalAuth')).toBe(true);
    expect(of('Microsoft.OperationalInsights/workspaces')).toHaveLength(1);
    const vaults = of('Microsoft.KeyVault/vaults');
    expect(vaults).toHaveLength(1);
    for (const { file, r } of vaults) {
      expect(value(file, r, 'properties', 'enableRbacAuthorization')).toBe(true);
      expect(value(file, r, 'properties', 'enableSoftDelete')).toBe(true);
      expect(prop(r.body, 'properties', 'accessPolicies')).toBeUndefined();
    }
  });
});

describe('infra/ Bicep: what azd needs', () => {
  const mainOutputs = outputs(main).map((o) => o.name);

  it('outputs what azd and a local run need, in UPPER_SNAKE_CASE', () => {
    for (const name of requiredOutputs) expect(mainOutputs, name).toContain(name);
    for (const name of mainOutputs) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('declares one function service in azure.yaml, deployed from the repository root', () => {
    const yaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');
    const services = yaml.slice(yaml.indexOf('\nservices:'));
    expect(services).toMatch(/\n {2}api:\n/);
    expect(services).toMatch(/\n {4}project: \.\n/);
    expect(services).toMatch(/\n {4}host: function\n/);
    expect(services).toMatch(/\n {4}language: ts\n/);
    expect(services.match(/\n {2}[a-z][\w-]*:\n/g)).toHaveLength(1);
  });

  it('puts everything in rg-<env>, tagged azd-env-name', () => {
    const groups = resources(main).filter((r) => r.type === 'Microsoft.Resources/resourceGroups');
    expect(groups).toHaveLength(1);
    const [rg] = groups;
    const inputs = { environmentName: 'dev' };
    expect(evaluate(main, prop(rg!.body, 'name')!, inputs)).toBe('rg-dev');
    expect(evaluate(main, prop(rg!.body, 'tags')!, inputs)).toEqual({ 'azd-env-name': 'dev' });
    expect(main.source).toMatch(/^targetScope = 'subscription'$/m);
  });

  it('runs the kernel on Flex Consumption (FC1, Node 20), tagged for the api service', () => {
    const file = fileNamed('infra/app/function-app.bicep');
    const [site, ...others] = functionAppSites(file);
    expect(others).toEqual([]);
    expect(site).toBeDefined();
    const value = (...path: string[]) => {
      const node = prop(site?.body, ...path);
      return node ? evaluate(file, node) : undefined;
    };
    expect(value('kind')).toBe('functionapp,linux');
    expect(value('identity', 'type')).toBe('UserAssigned');
    expect(value('properties', 'functionAppConfig', 'runtime')).toEqual({
      name: 'node',
      version: '20',
    });
    expect(value('properties', 'functionAppConfig', 'deployment', 'storage', 'type')).toBe('blobContainer');
    expect(value('properties', 'functionAppConfig', 'deployment', 'storage', 'authentication', 'type')).toBe(
      'UserAssignedIdentity',
    );
    expect(
      prop(site!.body, 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'instanceMemoryMB'),
    ).toBeDefined();
    expect(
      prop(site!.body, 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'maximumInstanceCount'),
    ).toBeDefined();
    expect(evaluate(file, prop(site!.body, 'tags')!, { tags: {} })).toEqual({ 'azd-service-name': 'api' });
    const plan = resources(file).find((r) => r.type === 'Microsoft.Web/serverfarms');
    expect(plan && evaluate(file, prop(plan.body, 'sku')!)).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
  });
});

describe('infra/ Bicep: one source of names (src/kernel/config)', () => {
  const entityNames = (type: string) =>
    files.flatMap((file) =>
      resources(file)
        .filter((r) => r.type === type && !r.existing)
        .map((r) => ({ file, r, name: evaluate(file, prop(r.body, 'name')!) })),
    );
  const declared = (suffix: string) =>
    Object.entries(serviceBusNames)
      .filter(([key]) => key.endsWith(suffix))
      .map(([, name]) => name)
      .sort();
  /** serviceBusQueueSettings as ARM property names (`lockDurationIso` → `lockDuration`). */
  const queueProperties: Record<string, Value> = Object.fromEntries(
    Object.entries(serviceBusQueueSettings).map(([key, value]) => [key.replace(/Iso$/, ''), value]),
  );
  /** Of those, what a topic carries; the rest are per subscription, which the kernel creates. */
  const topicLevel = [
    'defaultMessageTimeToLive',
    'requiresDuplicateDetection',
    'duplicateDetectionHistoryTimeWindow',
  ];

  it('provisions exactly the Service Bus queues and topics resource-names.ts declares, and no subscriptions', () => {
    expect(
      entityNames('Microsoft.ServiceBus/namespaces/queues')
        .map((e) => e.name)
        .sort(),
    ).toEqual(declared('Queue'));
    expect(
      entityNames('Microsoft.ServiceBus/namespaces/topics')
        .map((e) => e.name)
        .sort(),
    ).toEqual(declared('Topic'));
    expect(entityNames('Microsoft.ServiceBus/namespaces/topics/subscriptions')).toEqual([]);
  });

  it('gives each queue exactly the queue settings resource-names.ts declares', () => {
    for (const { file, r } of entityNames('Microsoft.ServiceBus/namespaces/queues')) {
      expect(evaluate(file, prop(r.body, 'properties')!), where(file, r.node)).toEqual(queueProperties);
    }
  });

  it('gives each topic the topic-level part of those settings', () => {
    for (const { file, r } of entityNames('Microsoft.ServiceBus/namespaces/topics')) {
      const properties = evaluate(file, prop(r.body, 'properties')!) as Record<string, Value> | undefined;
      expect(properties, where(file, r.node)).toBeDefined();
      for (const key of topicLevel)
        expect(properties?.[key], `${where(file, r.node)} ${key}`).toEqual(queueProperties[key]);
      for (const key of Object.keys(properties ?? {})) {
        if (key in queueProperties) expect(topicLevel, `${key} is a subscription setting`).toContain(key);
      }
    }
  });

  const storageEntityNames = (type: string): unknown[] =>
    files.flatMap((file): unknown[] =>
      resources(file)
        .filter((r) => r.type === type && !r.existing)
        .flatMap((r): unknown[] => {
          const name = prop(r.body, 'name')!;
          if (r.loop && name.type === 'identifier' && name.text === r.loop.variable) {
            const items = evaluate(file, r.loop.items);
            return Array.isArray(items) ? (items as unknown[]) : [`<not knowable: ${where(file, r.node)}>`];
          }
          return [evaluate(file, name) ?? `<not knowable: ${where(file, r.node)}>`];
        }),
    );

  it('provisions exactly the storage tables resource-names.ts declares', () => {
    expect(storageEntityNames('Microsoft.Storage/storageAccounts/tableServices/tables').sort()).toEqual(
      [...storageNames.tables].sort(),
    );
  });

  it('provisions exactly the blob containers resource-names.ts declares, plus the deployment container', () => {
    expect(storageEntityNames('Microsoft.Storage/storageAccounts/blobServices/containers').sort()).toEqual(
      [...storageNames.containers, ...Object.keys(platformContainers)].sort(),
    );
  });

  const file = fileNamed('infra/app/function-app.bicep');
  const site = functionAppSites(file)[0];
  const appSettings = site ? appSettingsOf(file, site) : [];
  const names = new Set(appSettings.map((s) => s.name));

  it('sets only app settings settings.ts declares, or listed platform settings, none twice, none secret', () => {
    expect(appSettings.length).toBeGreaterThan(0);
    expect(files.flatMap(appSettingRule)).toEqual([]);
  });

  it('rejects an app setting the kernel does not declare', () => {
    const sample = parseBicepSource(
      [
        "resource app 'Microsoft.Web/sites@2024-04-01' = {",
        "  name: 'x'",
        '  properties: {',
        '    siteConfig: {',
        '      appSettings: [',
        '        {',
        "          name: 'AOS_KEY_VAULT_URI'",
        "          value: 'https://x'",
        '        }',
        '        {',
        "          name: 'AzureWebJobsStorage'",
        "          value: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc'",
        '        }',
        '      ]',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(appSettingRule(sample)).toEqual([
      expect.stringContaining('AOS_KEY_VAULT_URI is neither in settings.ts'),
      expect.stringContaining("AzureWebJobsStorage carries 'AccountKey='"),
    ]);
  });

  it('uses every listed platform setting (no stale allow-list entries)', () => {
    for (const name of Object.keys(platformSettings)) expect(names.has(name), name).toBe(true);
    for (const name of Object.keys(settingsNotAppSettings)) {
      expect(allSettingNames(), name).toContain(name);
    }
  });

  const provided = (descriptor: SettingDescriptor) =>
    [descriptor.name, ...(descriptor.identityKeys ?? [])].some((name) => names.has(name));
  const required = (descriptor: SettingDescriptor) =>
    !descriptor.schema.safeParse(undefined).success || (descriptor.identityKeys?.length ?? 0) > 0;

  it('provides every required kernel setting, as itself or its identity-based form', () => {
    const missing = settingDescriptors
      .filter((d) => required(d) && !provided(d) && !(d.name in settingsNotAppSettings))
      .map((d) => d.name);
    expect(missing).toEqual([]);
  });

  it('provides every other kernel setting too, unless listed with a reason', () => {
    const missing = settingDescriptors
      .filter((d) => !provided(d) && !(d.name in settingsNotAppSettings))
      .map((d) => d.name);
    expect(missing).toEqual([]);
  });

  it('connects with the managed identity, never a connection string, where the kernel allows both', () => {
    for (const descriptor of settingDescriptors.filter((d) => d.identityKeys?.length)) {
      if (!provided(descriptor)) continue;
      expect(names.has(descriptor.name), `${descriptor.name} must not be set in Azure`).toBe(false);
      const credential = appSettings.find((s) => s.name === `${descriptor.name}__credential`);
      expect(credential?.value && evaluate(file, credential.value), `${descriptor.name}__credential`).toBe(
        'managedidentity',
      );
      expect(names.has(`${descriptor.name}__clientId`), `${descriptor.name}__clientId`).toBe(true);
    }
  });

  it('sets values the kernel accepts wherever they are knowable before deployment', () => {
    const byName = new Map(settingDescriptors.map((d) => [d.name, d]));
    let checked = 0;
    for (const setting of appSettings) {
      const descriptor = setting.name ? byName.get(setting.name) : undefined;
      const value = setting.value ? evaluate(file, setting.value) : undefined;
      if (!descriptor || typeof value !== 'string') continue;
      checked += 1;
      expect(descriptor.schema.safeParse(value).success, `${setting.name}=${value}`).toBe(true);
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    const taskHub = params(main).get('taskHubName')?.defaultValue;
    expect(taskHub && settings.taskHub.schema.safeParse(evaluate(main, taskHub)).success).toBe(true);
  });

  it('connects to the Durable Task Scheduler with the managed identity', () => {
    const dts = appSettings.find((s) => s.name === 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
    expect(dts?.value?.text).toMatch(/Authentication=ManagedIdentity;ClientID=\$\{identityClientId\}/);
  });
});
