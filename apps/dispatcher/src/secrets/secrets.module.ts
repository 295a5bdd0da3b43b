// Signing secrets at rest (docs/decisions/0017-secrets-at-rest.md): the SecretBox itself is a global
// provider of InfrastructureModule; this module runs the boot-time sealing of plaintext secrets.
import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { SealSecretsOnBoot } from './seal-on-boot';

@Module({
  imports: [RegistryModule],
  providers: [SealSecretsOnBoot],
})
export class SecretsModule {}
