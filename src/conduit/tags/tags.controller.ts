import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Consistency } from '../../database/consistency';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { TagsResponse } from './dto/tags.dto';
import { TagsService } from './tags.service';

@ApiTags('Tags')
@ConduitErrorResponses(422)
@Controller('tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  /**
   * The popular-tags sidebar: a replica up to 5 s behind will do, and no reader waits for its consistency token
   * (a new tag shows once its article has replicated).
   */
  @Get()
  @Consistency({ maxStalenessMs: 5000 })
  @ApiOperation({ operationId: 'GetTags', summary: 'Get tags' })
  @ApiOkResponse({ type: TagsResponse })
  list(): Promise<TagsResponse> {
    return this.tags.list();
  }
}
