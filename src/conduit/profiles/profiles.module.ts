import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { User } from '../users/user.entity';
import { Follow } from './follow.entity';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

/** Users as others see them, and who follows whom. */
@Module({
  imports: [TypeOrmModule.forFeature([User, Follow]), AuthModule],
  controllers: [ProfilesController],
  providers: [ProfilesService],
  exports: [ProfilesService],
})
export class ProfilesModule {}
