// Global (self-hosted) Renovate configuration for running the img-mirror preset.
// Copy the parts you need into your own config.js.
module.exports = {
  // Renovate runs postUpgradeTasks only when they match an allowedCommands regex.
  // Anchor them: each is tested unanchored. The first is the current preset's task
  // (renovate/default.json: every update comes in Renovate's data file); the second is
  // renovate/renovate-39.json's, whose values are on the command line (Renovate 40
  // and later test the command after templating, 39 the raw {{{depName}}} template;
  // the pattern accepts both and nothing else).
  allowedCommands: [
    '^img-mirror post-upgrade$',
    '^img-mirror post-upgrade --dep-name=\\S+ --new-value=\\S* --new-digest=\\S*$',
  ],

  // Commands get only a short list of environment variables (HOME, PATH, proxies,
  // ...). img-mirror reads registry credentials from REGISTRY_AUTH_FILE, or from
  // $HOME/.docker/config.json. Either give Renovate a HOME whose docker config has a
  // robot account with push rights on quay.io/cki/mirror, or pass the file explicitly:
  customEnvVariables: {
    REGISTRY_AUTH_FILE: '/etc/renovate/img-mirror-auth.json',
  },

  // Renovate 42.68.5 and later run commands without a shell (split like shlex): no
  // $VARIABLES, pipes or &&. The preset's command needs none of them.
};
