import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Consistency } from '../../database/consistency';
import { Authenticated, Viewer } from '../auth/authenticated.decorator';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { LoginUserRequest, NewUserRequest, UpdateUserRequest, UserResponse } from './dto/user.dto';
import { User } from './user.entity';
import { UsersService } from './users.service';

@ApiTags('User and Authentication')
@ConduitErrorResponses(422)
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users')
  @ApiOperation({ operationId: 'CreateUser', summary: 'Register a new user' })
  @ApiCreatedResponse({ type: UserResponse })
  register(@Body() request: NewUserRequest): Promise<UserResponse> {
    return this.users.register(request.user);
  }

  @Post('users/login')
  @HttpCode(200)
  @ApiOperation({ operationId: 'Login', summary: 'Existing user login' })
  @ApiOkResponse({ type: UserResponse })
  @ConduitErrorResponses(401)
  login(@Body() request: LoginUserRequest): Promise<UserResponse> {
    return this.users.login(request.user);
  }

  /**
   * The account as it is now, from the primary: a client fills its settings page from this, and a change made on
   * another device (whose consistency token this one never saw) must show there at once.
   */
  @Get('user')
  @Consistency('strong')
  @Authenticated()
  @ApiOperation({ operationId: 'GetCurrentUser', summary: 'Get current user' })
  @ApiOkResponse({ type: UserResponse })
  current(@Viewer() viewer: User): Promise<UserResponse> {
    return this.users.current(viewer);
  }

  @Put('user')
  @Authenticated()
  @ApiOperation({ operationId: 'UpdateCurrentUser', summary: 'Update current user' })
  @ApiOkResponse({ type: UserResponse })
  update(@Viewer() viewer: User, @Body() request: UpdateUserRequest): Promise<UserResponse> {
    return this.users.update(viewer, request.user);
  }
}
