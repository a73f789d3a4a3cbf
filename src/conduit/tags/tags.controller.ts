import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { TagsResponse } from './dto/tags.dto';
import { TagsService } from './tags.service';

@ApiTags('Tags')
@ConduitErrorResponses(422)
@Controller('tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @ApiOperation({ operationId: 'GetTags', summary: 'Get tags' })
  @ApiOkResponse({ type: TagsResponse })
  list(): Promise<TagsResponse> {
    return this.tags.list();
  }
}
