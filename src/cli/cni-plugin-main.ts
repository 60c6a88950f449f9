#!/usr/bin/env node
// The `virtnet-cni` executable (bin/virtnet-cni runs it): the container runtime calls it as a CNI plugin.
import { readStdin, runCniPlugin } from './cni-plugin.js';

process.exitCode = await runCniPlugin(await readStdin(), process.env);
