import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startDaemonFor, stopDaemon, waitUntil } from "../lib/daemon.ts";
import { host, ports } from "../lib/local-config.ts";
import { dataDir } from "../lib/paths.ts";
import { samlPassword, samlPeople } from "../saml-idp/people.ts";
import type { LocalService } from "./local-service.ts";

/**
 * The local SAML 2.0 identity provider: SimpleSAMLphp (Debian's package) under PHP's built-in web server, on
 * loopback. Its configuration is written here into .data/saml-idp/; its signing key is generated once per checkout.
 * Service providers (one per test tenant) are registered with `registerSamlServiceProvider`, which its
 * metadata file reads on every request.
 */
const daemon = "saml-idp";
const webRoot = "/usr/share/simplesamlphp/www";
const root = path.join(dataDir, "saml-idp");
const configDir = path.join(root, "config");
const metadataDir = path.join(root, "metadata");
const certDir = path.join(root, "cert");
const serviceProvidersFile = path.join(root, "service-providers.json");
const startedFile = path.join(root, "started.sha256");

export const samlIdpBaseUrl = `http://${host}:${ports.samlIdp}`;
export const samlIdpEntityId = `${samlIdpBaseUrl}/saml2/idp/metadata.php`;
export const samlIdpSsoUrl = `${samlIdpBaseUrl}/saml2/idp/SSOService.php`;

/** The provider's signing certificate (PEM), as a tenant's administrator would copy it from its metadata. */
export function samlIdpCertificate(): string {
  return fs.readFileSync(path.join(certDir, "idp.crt"), "utf8");
}

/** Lets a service provider (our tenant's) sign in through the provider: its entity ID and assertion consumer URL. */
export function registerSamlServiceProvider(entityId: string, acsUrl: string): void {
  const known = readServiceProviders().filter((sp) => sp.entityId !== entityId);
  const next = path.join(root, `service-providers.${process.pid}.${crypto.randomBytes(4).toString("hex")}.json`);
  fs.writeFileSync(next, JSON.stringify([...known, { entityId, acsUrl }]));
  fs.renameSync(next, serviceProvidersFile);
}

function readServiceProviders(): Array<{ entityId: string; acsUrl: string }> {
  try {
    return JSON.parse(fs.readFileSync(serviceProvidersFile, "utf8")) as Array<{ entityId: string; acsUrl: string }>;
  } catch {
    return [];
  }
}

const php = (value: unknown): string => JSON.stringify(value).replaceAll("$", "\\$");

function writeConfiguration(): string {
  for (const dir of [configDir, metadataDir, certDir, path.join(root, "tmp"), path.join(root, "log")]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  if (!fs.existsSync(path.join(certDir, "idp.key"))) {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        "/CN=saml-idp.local",
        "-keyout",
        path.join(certDir, "idp.key"),
        "-out",
        path.join(certDir, "idp.crt"),
      ],
      { stdio: "ignore" },
    );
  }
  const saltFile = path.join(root, "secret-salt");
  if (!fs.existsSync(saltFile)) fs.writeFileSync(saltFile, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
  const salt = fs.readFileSync(saltFile, "utf8");
  const people = Object.fromEntries(
    samlPeople.map((person) => [
      `${person.username}:${samlPassword}`,
      { uid: [person.username], email: [person.email], displayName: [person.displayName], groups: person.groups },
    ]),
  );
  const files: Record<string, string> = {
    [path.join(configDir, "config.php")]: `<?php
$config = [
  'baseurlpath' => ${php(`${samlIdpBaseUrl}/`)},
  'certdir' => ${php(`${certDir}/`)},
  'tempdir' => ${php(path.join(root, "tmp"))},
  'datadir' => ${php(`${path.join(root, "data")}/`)},
  'loggingdir' => ${php(`${path.join(root, "log")}/`)},
  'logging.level' => SimpleSAML\\Logger::NOTICE,
  'logging.handler' => 'errorlog',
  'secretsalt' => ${php(salt)},
  'auth.adminpassword' => ${php(salt)},
  'admin.protectindexpage' => true,
  'admin.protectmetadata' => false,
  'technicalcontact_name' => 'Local stack',
  'technicalcontact_email' => 'na@example.invalid',
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${php(path.join(root, "tmp"))},
  'session.cookie.secure' => false,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
  'metadata.sources' => [['type' => 'flatfile', 'directory' => ${php(metadataDir)}]],
  'language.available' => ['en'],
];
`,
    [path.join(configDir, "authsources.php")]: `<?php
$config = [
  'admin' => ['core:AdminPassword'],
  'people' => array_merge(['exampleauth:UserPass'], json_decode(${php(JSON.stringify(people))}, true)),
];
`,
    [path.join(metadataDir, "saml20-idp-hosted.php")]: `<?php
$metadata[${php(samlIdpEntityId)}] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'people',
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'simplesaml.nameidattribute' => 'email',
  'saml20.sign.response' => true,
  'saml20.sign.assertion' => true,
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
`,
    [path.join(metadataDir, "saml20-sp-remote.php")]: `<?php
$known = @file_get_contents(${php(serviceProvidersFile)});
foreach (($known === false ? [] : (json_decode($known, true) ?? [])) as $sp) {
  $metadata[$sp['entityId']] = [
    'AssertionConsumerService' => $sp['acsUrl'],
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'email',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
  ];
}
`,
  };
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(file, text, { mode: 0o600 });
  if (!fs.existsSync(serviceProvidersFile)) fs.writeFileSync(serviceProvidersFile, "[]");
  return crypto
    .createHash("sha256")
    .update(JSON.stringify(Object.values(files)))
    .digest("hex");
}

async function answers(): Promise<boolean> {
  const response = await fetch(`${samlIdpBaseUrl}/saml2/idp/metadata.php`, { signal: AbortSignal.timeout(2000) });
  return response.ok && (await response.text()).includes(`entityID="${samlIdpEntityId}"`);
}

export const samlIdpService: LocalService = {
  name: "saml-idp",
  async up() {
    if (!fs.existsSync(webRoot)) throw new Error(`${webRoot} not found: install simplesamlphp (scripts/install-system.sh)`);
    const digest = writeConfiguration();
    await startDaemonFor(
      {
        name: daemon,
        command: "php",
        args: ["-S", `${host}:${ports.samlIdp}`, "-t", webRoot],
        cwd: root,
        env: { SIMPLESAMLPHP_CONFIG_DIR: configDir, PHP_CLI_SERVER_WORKERS: "2" },
      },
      { digest, digestFile: startedFile, host, port: ports.samlIdp },
    );
    await waitUntil(daemon, answers);
    return `${samlIdpEntityId} (SimpleSAMLphp; people in scripts/saml-idp/people.ts, password "${samlPassword}")`;
  },
  async down() {
    await stopDaemon(daemon);
  },
};
