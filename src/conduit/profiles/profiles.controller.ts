import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, OptionallyAuthenticated, Viewer } from '../auth/authenticated.decorator';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { ParseUsernamePipe } from '../username.pipe';
import { User } from '../users/user.entity';
import { ProfileResponse } from './dto/profile.dto';
import { ProfilesService } from './profiles.service';

@ApiTags('Profile')
@ConduitErrorResponses(404, 422)
@ApiOkResponse({ type: ProfileResponse })
@Controller('profiles/:username')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @OptionallyAuthenticated()
  @ApiOperation({ operationId: 'GetProfileByUsername', summary: 'Get a profile' })
  @ApiParam({ name: 'username', description: 'Username of the profile to get' })
  profile(@Param('username', ParseUsernamePipe) username: string, @Viewer() viewer?: User): Promise<ProfileResponse> {
    return this.profiles.profile(username, viewer?.id);
  }

  @Post('follow')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ operationId: 'FollowUserByUsername', summary: 'Follow a user' })
  @ApiParam({ name: 'username', description: 'Username of the profile you want to follow' })
  follow(@Param('username', ParseUsernamePipe) username: string, @Viewer() viewer: User): Promise<ProfileResponse> {
    return this.profiles.follow(viewer.id, username);
  }

  @Delete('follow')
  @Authenticated()
  @ApiOperation({ operationId: 'UnfollowUserByUsername', summary: 'Unfollow a user' })
  @ApiParam({ name: 'username', description: 'Username of the profile you want to unfollow' })
  unfollow(@Param('username', ParseUsernamePipe) username: string, @Viewer() viewer: User): Promise<ProfileResponse> {
    return this.profiles.unfollow(viewer.id, username);
  }
}
