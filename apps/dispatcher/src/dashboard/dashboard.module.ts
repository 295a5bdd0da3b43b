// The built-in dashboard: GET /dashboard (the page and its assets, uPlot included) and the
// platform series it draws beside the health API. Relies on InfrastructureModule's global
// providers; reads the live gauges from the delivery path, the registry and the metrics probes.
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RegistryModule } from '../registry/registry.module';
import { DashboardApiController, DashboardPageController } from './dashboard.controller';
import { GaugeSampler } from './gauge-sampler';
import { PlatformDashboardService } from './platform-dashboard.service';
import { PlatformSeriesRepository } from './platform-series.repository';

@Module({
  imports: [DeliveryModule, RegistryModule, MetricsModule],
  controllers: [DashboardPageController, DashboardApiController],
  providers: [PlatformSeriesRepository, GaugeSampler, PlatformDashboardService],
})
export class DashboardModule {}
